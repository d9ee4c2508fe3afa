from django.urls import path

from gigaportal.reports import ReportView
from surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("import/", views.survey_import, name="import"),
    path("import/confirm/", views.survey_import_confirm, name="import_confirm"),
    path("import/preview/<int:pk>/", views.survey_import_preview, name="import_preview"),
    # Reports name their survey with ?survey=<short name> (the newest one by default).
    path("results/", ReportView.as_view(report="surveys.tally"), name="tally"),
    path(
        "results/chart/<int:question_pk>-<str:stamp>.png",
        ReportView.as_view(report="surveys.tally", output="chart"),
        name="tally_chart",
    ),
    path("scales/", ReportView.as_view(report="surveys.likert"), name="likert"),
    path(
        "scales/chart/<int:question_pk>-<str:stamp>.png",
        ReportView.as_view(report="surveys.likert", output="chart"),
        name="likert_chart",
    ),
    path("top/", ReportView.as_view(report="surveys.top"), name="top"),
    path("crosstab/", ReportView.as_view(report="surveys.crosstab"), name="crosstab"),
    path("rates/", ReportView.as_view(report="surveys.rates"), name="rates"),
    path("free-text/", ReportView.as_view(report="surveys.free_text"), name="free_text"),
    path("<slug:slug>/", views.survey_detail, name="detail"),
    path("<slug:slug>/edit/", views.survey_edit, name="edit"),
    path("<slug:slug>/groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("<slug:slug>/questions/<int:pk>/", views.question_edit, name="question_edit"),
    path("<slug:slug>/questions/<int:pk>/scale/", views.question_scale, name="question_scale"),
    path("<slug:slug>/questions/<int:pk>/codebook/", views.codebook, name="codebook"),
    path(
        "<slug:slug>/questions/<int:pk>/codebook/<int:category>/",
        views.category_edit,
        name="category_edit",
    ),
    path(
        "<slug:slug>/questions/<int:pk>/codebook/<int:category>/delete/",
        views.category_delete,
        name="category_delete",
    ),
    path("<slug:slug>/questions/<int:pk>/coding/", views.coding, name="coding"),
    path("<slug:slug>/questions/<int:pk>/coding/code/", views.code_answer, name="code_answer"),
    path(
        "<slug:slug>/questions/<int:pk>/coding/search/", views.code_matching, name="code_matching"
    ),
    path("<slug:slug>/questions/<int:pk>/coding/undo/", views.code_undo, name="code_undo"),
]
