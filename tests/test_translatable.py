"""Texts people read are marked for translation where they are defined: every choice label of
every model field, every label, help text and choice of every form of MOT's apps is a lazy
translation, so it follows the language of the request that shows it (a plain string would be
English, or the language of whoever imported the module first, for everyone). Language names
(settings.LANGUAGES) are the exception: each is written in its own language, for whoever reads the
choice without reading the page's current language."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.utils.functional import Promise

APPS = ("mot", "journeys", "feedback", "metrics")
SKIPPED_MODULES = (".migrations", ".management")


def _same_in_every_language(value: object, label: object) -> bool:
    """A label that is its value (a time zone, a number on a scale), Django's blank "---------"
    or a language's own name for itself."""
    text = str(label)
    return text in (str(value), "---------") or dict(settings.LANGUAGES).get(value) == text


def _form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if any(part in module_info.name for part in SKIPPED_MODULES):
                continue
            module = importlib.import_module(module_info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


FORMS = _form_classes()


def test_every_model_choice_label_is_a_lazy_translation():
    plain = [
        f"{model.__name__}.{field.name}={value!r}: {label!r}"
        for model in apps.get_models()
        if model._meta.app_label in APPS
        for field in model._meta.get_fields()
        for value, label in getattr(field, "flatchoices", None) or []
        if not isinstance(label, Promise) and not _same_in_every_language(value, label)
    ]
    assert plain == []


def test_the_forms_are_found():
    names = {cls.__name__ for cls in FORMS}
    assert {"ExplorerForm", "DashboardForm", "CsvOptionsForm", "UploadForm"} <= names


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_form_label_help_text_and_choice_is_a_lazy_translation(form_class):
    plain = []
    for name, field in form_class.base_fields.items():
        for what in ("label", "help_text"):
            text = getattr(field, what)
            if text and not isinstance(text, Promise):
                plain.append(f"{name}.{what}: {text!r}")
        if isinstance(field, forms.ModelChoiceField):
            continue  # labels are the objects' names, typed by people
        for value, label in getattr(field, "choices", None) or []:
            if isinstance(label, list | tuple):
                continue  # a group: its options are checked as values
            if not isinstance(label, Promise) and not _same_in_every_language(value, label):
                plain.append(f"{name} choice {value!r}: {label!r}")
    assert plain == []
