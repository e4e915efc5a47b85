from django.core.management.base import BaseCommand
from django.utils import translation

from feedback.demo import DEMO_LANGUAGES, load_demo


class Command(BaseCommand):
    help = "Create the demo workspace 'Demo Retail' with template journeys and one user per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="The address printed for signing in."
        )
        parser.add_argument(
            "--language",
            default="en",
            choices=DEMO_LANGUAGES,
            help="The language of the workspace name, journeys, stages and touchpoints "
            "(the answers' comments stay in the languages the customers wrote them in).",
        )

    def handle(self, *args, url: str, language: str, **options):
        # Loaded in the chosen language: the templates' texts are stored as translated then.
        with translation.override(language):
            workspace, users, created = load_demo()
        state = "created" if created else "already present, nothing changed"
        self.stdout.write(self.style.SUCCESS(f"Demo workspace '{workspace.name}': {state}."))
        self.stdout.write(f"Open {url} and sign in as one of:")
        for user in users:
            self.stdout.write(f"  {user.role:<8} {user.email:<20} password: {user.password}")
