from django.contrib import admin

from journeys.models import Journey, Lane, LaneFold, LaneItem, Persona, Stage, Touchpoint


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    ordering = ["position"]
    # A select of every stage of every journey, per row, would make the page unusable.
    raw_id_fields = ["copied_from"]


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "state", "archived", "updated_at"]
    list_filter = ["state", "archived", "workspace"]
    search_fields = ["name", "persona"]
    list_select_related = ["workspace"]
    inlines = [StageInline]
    raw_id_fields = ["copied_from"]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "journey", "position"]
    search_fields = ["name", "journey__name"]
    list_select_related = ["journey"]
    raw_id_fields = ["copied_from"]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "journey",
        "stage",
        "position",
        "mot_stage",
        "channel",
        "phase",
        "owner",
    ]
    list_filter = ["mot_stage", "channel", "phase", "journey__workspace"]
    search_fields = ["title", "description"]
    list_select_related = ["journey", "stage", "owner__user"]
    raw_id_fields = ["journey", "stage", "owner", "copied_from"]


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "journey", "position"]
    list_filter = ["kind"]
    search_fields = ["name", "journey__name"]
    list_select_related = ["journey"]
    raw_id_fields = ["journey"]


@admin.register(LaneItem)
class LaneItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "lane", "stage", "position", "status", "owner"]
    list_filter = ["status", "lane__kind"]
    search_fields = ["text"]
    list_select_related = ["lane", "stage", "owner__user"]
    raw_id_fields = ["journey", "lane", "stage", "owner"]


@admin.register(LaneFold)
class LaneFoldAdmin(admin.ModelAdmin):
    list_display = ["lane", "membership"]
    list_select_related = ["lane", "membership__user"]
    raw_id_fields = ["lane", "membership"]


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    # The picture is set through the Personas page, where it is checked and re-encoded.
    list_display = ["name", "segment", "workspace", "updated_at"]
    search_fields = ["name", "segment"]
    list_select_related = ["workspace"]
    exclude = ["picture"]
    filter_horizontal = ["journeys"]
