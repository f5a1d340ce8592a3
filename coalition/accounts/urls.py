from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.home, name="home"),
    path("account/signature/", views.signature, name="signature"),
    path("account/signature/<int:signature_id>/withdraw/", views.signature_withdraw, name="signature_withdraw"),
    path("account/profile/", views.profile, name="profile"),
    path("account/data.json", views.data_export, name="data_export"),
    path("account/delete/", views.delete, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("privacy/", views.privacy, name="privacy"),
]
