import factory
from django.utils import timezone

from coalition.letters import letter_v1
from coalition.letters.models import Letter, LetterVersion
from coalition.registry.coverage import place_key
from coalition.signatures.models import Craft, Organisation, Signature
from coalition.signatures.moderation import counts_apply
from coalition.signatures.names import name_skeleton


def coalition_letter():
    """The letter the data migration loads; recreated after transactional tests flush the tables."""
    return letter_v1.load(Letter, LetterVersion, timezone.now())


def signatures_imported(*, letter, n, name="Signer {n}", domain="example.org", craft=Craft.ACTOR):
    """`n` confirmed signatures inserted in bulk, then counted, as organisers would after an import."""
    from coalition.signatures.moderation import reconcile_signature_counts

    version = letter.current_version("en")
    now = timezone.now()
    Signature.objects.bulk_create(
        Signature(
            letter=letter,
            letter_version=version,
            name=name.format(n=i),
            name_skeleton=name_skeleton(name.format(n=i)),
            email=f"signer{i}@{domain}",
            email_domain=domain,
            mailbox_key=f"signer{i}@{domain}",
            craft=craft,
            consent_text="I agree.",
            status=Signature.Status.CONFIRMED,
            confirmed_at=now,
        )
        for i in range(n)
    )
    reconcile_signature_counts()


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    letter = factory.LazyFunction(coalition_letter)
    letter_version = factory.LazyAttribute(lambda o: o.letter.current_version("en"))
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"signer{n}@example.org")
    craft = Craft.ACTOR
    consent_text = "I agree."
    status = Signature.Status.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)

    class Params:
        pending = factory.Trait(status=Signature.Status.PENDING, confirmed_at=None)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        signature = super()._create(model_class, *args, **kwargs)
        # Created straight into a counted state, as a bulk import would: the counters follow.
        if signature.status in Signature.LISTED_STATUSES:
            counts_apply({(signature.letter_id, signature.craft): 1})
        return signature


class OrganisationFactory(factory.django.DjangoModelFactory):
    """An endorsement as the form records it: waiting for an organiser unless `verified=True`."""

    class Meta:
        model = Organisation

    letter = factory.LazyFunction(coalition_letter)
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.UNION
    website = factory.Sequence(lambda n: f"https://org{n}.example.org/")
    contact_name = "Pat Organiser"
    contact_email = factory.Sequence(lambda n: f"contact@org{n}.example.org")

    class Params:
        verified = factory.Trait(status=Organisation.Status.VERIFIED, verified_at=factory.LazyFunction(timezone.now))


class PlaceFactory(factory.django.DjangoModelFactory):
    """A member's place in the consent registry, proven unless told otherwise; what it covers follows its URL."""

    class Meta:
        model = "registry.Place"

    signature = factory.SubFactory(SignatureFactory)
    url = factory.Sequence(lambda n: f"https://creator{n}.example/")
    method = "page"
    token = factory.Sequence(lambda n: f"creators-coalition-verify-test{n}")
    status = "verified"
    host = factory.LazyAttribute(lambda o: place_key(o.url, whole_domain=o.method == "dns")[0])
    path = factory.LazyAttribute(lambda o: place_key(o.url, whole_domain=o.method == "dns")[1])
