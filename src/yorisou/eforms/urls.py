"""URLs of online applications (namespace ``eforms``)."""

from django.urls import path

from yorisou.eforms.views import builder, office, portal

app_name = "eforms"

urlpatterns = [
    # the citizen portal
    path("", portal.portal, name="portal"),
    path("f/<slug:slug>/", portal.form_detail, name="form_detail"),
    path("f/<slug:slug>/start/", portal.form_start, name="form_start"),
    path("my/", portal.mine, name="mine"),
    path("my/<int:pk>/", portal.mine_detail, name="mine_detail"),
    path("my/<int:pk>/step/<slug:step>/", portal.step, name="step"),
    path("my/<int:pk>/review/", portal.review, name="review"),
    path("my/<int:pk>/done/", portal.done, name="done"),
    path("my/<int:pk>/discard/", portal.discard, name="discard"),
    path("my/<int:pk>/correct/", portal.correct, name="correct"),
    path("my/<int:pk>/withdraw/", portal.withdraw, name="withdraw"),
    path("my/<int:pk>/message/", portal.message_post, name="message"),
    path("my/<int:pk>/receipt/", portal.receipt, name="receipt"),
    path("files/<int:pk>/", portal.attachment, name="attachment"),
    # the back office
    path("office/", office.inbox, name="inbox"),
    path("office/<int:pk>/", office.case, name="case"),
    path("office/<int:pk>/action/", office.case_action, name="case_action"),
    path("office/<int:pk>/assign/", office.case_assign, name="case_assign"),
    path("office/<int:pk>/message/", office.case_message, name="case_message"),
    path("office/<int:pk>/mynumber/", office.case_reveal, name="case_reveal"),
    path("office/exports/", office.exports, name="exports"),
    path("office/exports/<int:pk>/", office.export_download, name="export_download"),
    path("office/statistics/", office.statistics, name="statistics"),
    # the form builder
    path("forms/", builder.form_list, name="builder_list"),
    path("forms/<slug:slug>/", builder.form_edit, name="builder_edit"),
    path("forms/<slug:slug>/preview/", builder.form_preview, name="builder_preview"),
    path("forms/<slug:slug>/change/", builder.form_change, name="builder_change"),
    path("forms/<slug:slug>/import/", builder.version_import, name="builder_import"),
    path(
        "forms/<slug:slug>/v<int:number>/publish/",
        builder.version_publish,
        name="builder_publish",
    ),
    path(
        "forms/<slug:slug>/v<int:number>/export/",
        builder.version_export,
        name="builder_export",
    ),
]
