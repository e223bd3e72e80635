from django.urls import path

from orders import views

app_name = "orders"

orders = "patients/<str:mrn>/orders/"
order = orders + "<int:order_id>/"

urlpatterns = [
    path(orders, views.chart_orders, name="chart_orders"),
    path(orders + "pend/", views.order_pend, name="order_pend"),
    path(orders + "sign/", views.orders_sign, name="orders_sign"),
    path(orders + "review/", views.sign_review, name="sign_review"),
    path(orders + "alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path(orders + "alerts/<int:alert_id>/override/", views.alert_override, name="alert_override"),
    path(orders + "sets/<slug:slug>/apply/", views.order_set_apply, name="order_set_apply"),
    path(order, views.order_detail, name="order_detail"),
    path(order + "edit/", views.order_edit, name="order_edit"),
    path(order + "remove/", views.order_remove, name="order_remove"),
    path(order + "discontinue/", views.order_discontinue, name="order_discontinue"),
    path(order + "reorder/", views.order_reorder, name="order_reorder"),
    path(order + "result/", views.order_result_entry, name="order_result_entry"),
    path(order + "complete/", views.order_complete, name="order_complete"),
]
