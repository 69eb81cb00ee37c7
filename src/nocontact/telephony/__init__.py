"""nocontact on a phone network: what a SIP proxy does with each call and message.

``sip`` reads caller and callee out of SIP URIs, ``directive`` turns a
decision into what the network does (route, ring unanswered, refuse, send to
the mailbox), ``attempts`` keeps the held and sealed attempts an owner may open
later, ``proxy`` renders and runs the shipped Kamailio configuration. This
layer sits above the engine and below the service and the CLI.
"""
