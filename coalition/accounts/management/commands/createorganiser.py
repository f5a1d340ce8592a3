import getpass
import os

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coalition.signatures.services import email_normalise


class Command(BaseCommand):
    help = (
        "Create an organiser (superuser) or, with --moderator, a moderator, who signs in at /admin/ through allauth "
        "with a password and an authenticator app set up at the first sign-in. The password is read from "
        "ORGANISER_PASSWORD or asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--moderator", action="store_true", help="staff in the moderator group, not a superuser")

    @transaction.atomic
    def handle(self, *args, email, moderator, **options):
        try:
            email = email_normalise(email)
        except ValueError as exc:
            raise CommandError(f"Not a valid email address: {exc}") from None
        User = get_user_model()
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with {email} already exists.")
        password = os.environ.get("ORGANISER_PASSWORD") or getpass.getpass("Password: ")
        user = User(username=email[:150], email=email, is_staff=True, is_superuser=not moderator)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        if moderator:
            user.groups.add(Group.objects.get(name="moderator"))
        # The address is the organiser's own, typed by whoever runs this on the server: verified.
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        role = "moderator" if moderator else "organiser"
        self.stdout.write(self.style.SUCCESS(f"Created {role} {email}."))
        self.stdout.write(
            "Sign in at /admin/ with this address and password. The first time, the site asks you to set up an "
            "authenticator app (scan the code it shows, type the code the app gives) and shows recovery codes: keep "
            "them somewhere safe, each one stands in once for a lost phone. From then on every sign-in asks for the "
            "app's code."
        )
