"""Surveys in Django admin, through the same services as the pages: a question's kind
is corrected by question_update (the answers are converted), a category by the
codebook services, a survey or group deleted by the services that delete their
answers first; answers themselves are shown, never edited."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from gigaportal.admin import ChangeLoggedAdmin, ReadOnlyAdmin
from surveys import services
from surveys.models import (
    Option,
    Question,
    RespondentGroup,
    Response,
    Survey,
    SurveysSettings,
)


def _deletion_summary(objs, field: str):
    """(what is deleted, counts by kind, permissions lacking, protected) for admin's
    confirmation page: each object with its number of responses."""
    from django.db.models import Count

    objs = list(objs)
    counts = dict(
        Response.objects.filter(**{f"{field}__in": objs})
        .values(field)
        .annotate(n=Count("id"))
        .values_list(field, "n")
    )
    lines = [
        _("%(object)s, with its %(count)s responses and their answers")
        % {"object": obj, "count": counts.get(obj.pk, 0)}
        for obj in objs
    ]
    model = objs[0]._meta.verbose_name_plural if objs else ""
    return lines, {model: len(objs)}, set(), []


@admin.register(SurveysSettings)
class SurveysSettingsAdmin(ChangeLoggedAdmin):
    list_display = ["__str__", "suppression_threshold"]

    def has_add_permission(self, request):
        return not SurveysSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ChangeLoggedAdmin):
    list_display = ["title", "slug", "fiscal_year", "opens_on", "closes_on", "target_population"]
    list_filter = ["fiscal_year"]
    search_fields = ["title", "slug"]
    fields = [*services.surveys.SURVEY_FIELDS]

    def has_add_permission(self, request):
        return False  # a survey is created by its first import

    def save_with_service(self, request, obj, form, change) -> bool:
        services.survey_update(
            by=request.user,
            survey=obj,
            **{name: form.cleaned_data[name] for name in services.surveys.SURVEY_FIELDS},
        )
        return True

    def get_deleted_objects(self, objs, request):
        """A summary, not admin's list of every related row (a survey may hold millions
        of answers); the service deletes them all."""
        return _deletion_summary(objs, "survey")

    def delete_model(self, request, obj):
        services.survey_delete(by=request.user, survey=obj)

    def delete_queryset(self, request, queryset):
        for survey in queryset:
            services.survey_delete(by=request.user, survey=survey)


@admin.register(RespondentGroup)
class RespondentGroupAdmin(ChangeLoggedAdmin):
    list_display = ["name", "survey", "order", "target_population", "imported_at"]
    list_filter = ["survey"]
    fields = services.surveys.GROUP_FIELDS

    def has_add_permission(self, request):
        return False  # a group is created by importing its file

    def save_with_service(self, request, obj, form, change) -> bool:
        services.group_update(
            by=request.user,
            group=RespondentGroup.objects.get(pk=obj.pk),
            **{name: form.cleaned_data[name] for name in services.surveys.GROUP_FIELDS},
        )
        return True

    def get_deleted_objects(self, objs, request):
        return _deletion_summary(objs, "group")

    def delete_model(self, request, obj):
        services.group_delete(by=request.user, group=obj)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            services.group_delete(by=request.user, group=group)


class QuestionForm(forms.ModelForm):
    kind = forms.ChoiceField(label=Question._meta.get_field("kind").verbose_name)

    class Meta:
        model = Question
        fields = ["kind", "label", "is_scale"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = services.kind_choices()
        if self.instance.kind not in dict(choices):
            choices = [(self.instance.kind, self.instance.get_kind_display())]
        self.fields["kind"].choices = choices

    def clean(self):
        data = super().clean()
        return data


@admin.register(Question)
class QuestionAdmin(ChangeLoggedAdmin):
    form = QuestionForm
    list_display = ["position", "text", "kind", "multiple", "is_scale", "survey"]
    list_filter = ["survey", "kind"]
    search_fields = ["text", "label"]
    readonly_fields = ["survey", "position", "header", "text", "multiple"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a question goes with its survey

    def save_with_service(self, request, obj, form, change) -> bool:
        stored = Question.objects.get(pk=obj.pk)
        services.question_update(
            by=request.user,
            question=stored,
            kind=form.cleaned_data["kind"],
            label=form.cleaned_data.get("label") or "",
            is_scale=form.cleaned_data.get("is_scale", False),
        )
        return True

    def save_model(self, request, obj, form, change):
        try:
            super().save_model(request, obj, form, change)
        except services.SurveyError as exc:
            from django.contrib import messages

            self.message_user(request, exc.message, level=messages.ERROR)


@admin.register(Option)
class OptionAdmin(ChangeLoggedAdmin):
    """An option's order, label and polarity (the question page edits them too)."""

    list_display = ["text", "question", "order", "polarity", "label"]
    list_filter = ["question__survey"]
    search_fields = ["text", "label"]
    fields = ["label", "order", "polarity", "keywords"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        super().save_model(request, obj, form, change)
        # The question's charts are cached under its stamp: a new stamp draws them again.
        Question.objects.filter(pk=obj.question_id).update(updated_at=timezone.now())


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ["survey", "group", "row_number", "submitted_at", "school"]
    list_filter = ["survey", "group"]
    list_select_related = ["survey", "group__survey", "school"]
