"""One inbox, one signature: the spellings of an address that a mail provider delivers to the same mailbox share
one key, and the list compares signatures on that key (the address as typed is kept for mail).

Written here rather than taken from a library: the libraries that do this (email-normalize) look the domain's mail
servers up in the DNS, which a signature must not wait for and the tests must not do; the rules are a few lines."""

# Another name of the same provider's mailboxes.
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Providers that deliver "j.o.h.n.doe" to "johndoe".
DOTS_IGNORED = {"gmail.com"}
# "name+anything@" reaches "name@" at Gmail, Outlook, iCloud, Fastmail, Proton and most servers (subaddressing,
# RFC 5233): taken as one inbox everywhere.
TAG_SEPARATOR = "+"


def mailbox_key(email):
    """The key of `email`'s mailbox: lower case, the provider's main domain, no +tag, no dots where they are
    ignored. `email` is a normalised address (signatures.services.email_normalise)."""
    local, _, domain = email.lower().rpartition("@")
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.split(TAG_SEPARATOR, 1)[0] or local
    if domain in DOTS_IGNORED:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"
