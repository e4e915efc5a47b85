from django.contrib import admin

from mot.forms import AdminLoginForm
from mot.models import Invitation, Membership, Profile, Workspace
from mot.notifications.models import AlertPreferences, Notification

admin.site.login_form = AdminLoginForm  # a username too long to record is the form's error


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "default_language", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_filter = ["language"]
    search_fields = ["user__email", "user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__email", "user__username", "workspace__name"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "sent_at", "accepted_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["email", "workspace__name"]
    list_select_related = ["workspace"]
    readonly_fields = ["nonce", "sent_at", "accepted_at", "invited_by"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "dedupe_key", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", "workspace"]
    search_fields = ["recipient__user__email", "dedupe_key"]
    list_select_related = ["recipient__user", "recipient__workspace"]
    raw_id_fields = ["recipient", "workspace"]


@admin.register(AlertPreferences)
class AlertPreferencesAdmin(admin.ModelAdmin):
    list_display = [
        "membership",
        "email_followup_new",
        "email_followups_overdue",
        "email_moment_turn",
    ]
    list_select_related = ["membership__user", "membership__workspace"]
    raw_id_fields = ["membership"]
