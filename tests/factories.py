import factory
from django.utils import timezone

from coalition.letters import letter_v1
from coalition.letters.models import Letter, LetterVersion
from coalition.signatures.models import Craft, Signature


def coalition_letter():
    """The letter the data migration loads; recreated after transactional tests flush the tables."""
    letter, _ = Letter.objects.get_or_create(slug=letter_v1.SLUG, defaults={"name": letter_v1.NAME})
    for language, text in letter_v1.TEXTS.items():
        LetterVersion.objects.get_or_create(
            letter=letter,
            number=1,
            language=language,
            defaults={"title": text["title"], "body": text["body"], "published_at": timezone.now()},
        )
    return letter


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
