from django.contrib.auth import views as auth_views
from django.urls import path

from yorisou.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_done, name="signup_done"),
    path("signup/resend/", views.signup_resend, name="signup_resend"),
    path("signup/verify/<str:token>/", views.signup_verify, name="signup_verify"),
    path("signin/<slug:provider_id>/start/", views.signin_start, name="signin_start"),
    path(
        "signin/<slug:provider_id>/callback/",
        views.signin_callback,
        name="signin_callback",
    ),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("organisation/", views.org_tree, name="org_tree"),
    path("organisation/import/", views.org_import, name="org_import"),
]
