"""nocontact: may this reach that person, and what does each side see?"""
