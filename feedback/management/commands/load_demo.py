from django.core.management.base import BaseCommand
from django.utils import translation

from feedback.demo import load_demo


class Command(BaseCommand):
    help = "Create the demo workspace 'Demo Retail' with template journeys and one user per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="The address printed for signing in."
        )

    def handle(self, *args, url: str, **options):
        with translation.override("en"):
            workspace, users, created = load_demo()
        state = "created" if created else "already present, nothing changed"
        self.stdout.write(self.style.SUCCESS(f"Demo workspace '{workspace.name}': {state}."))
        self.stdout.write(f"Open {url} and sign in as one of:")
        for user in users:
            self.stdout.write(f"  {user.role:<8} {user.email:<20} password: {user.password}")
