"""The chart's Orders activity: search, composer, pended shelf, sign with decision support,
order list with discontinue/reorder, order sets, order detail and result entry.

Views parse the request, call the orders services (lifecycle, signing, results) and selectors and render; every
change is a POST followed by a redirect. A user's mistake comes back as the page with
a clear message and a 4xx status (never a 500), keeping what was typed.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinical.views import chart_patient, render_chart
from orders import lifecycle, results, selectors, signing
from orders.forms import OrderComposerForm, OrderSearchForm, ReasonForm, add_service_errors, result_form_class
from orders.models import Order, Orderable, OrderAlert, OrderType

TAB = "orders"


# --- helpers ------------------------------------------------------------------------------


def _actor(request) -> str:
    return request.user.get_username()


def _orders_url(mrn: str, **params) -> str:
    url = reverse("orders:chart_orders", kwargs={"mrn": mrn})
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


def _patient_order(mrn: str, order_id: int):
    patient = chart_patient(mrn)
    try:
        return patient, selectors.order_get(patient=patient, order_id=order_id)
    except Order.DoesNotExist:
        raise Http404(f"No order #{order_id} for this patient") from None


def _patient_alert(mrn: str, alert_id: int):
    patient = chart_patient(mrn)
    try:
        return patient, selectors.alert_get(patient=patient, alert_id=alert_id)
    except OrderAlert.DoesNotExist:
        raise Http404(f"No alert #{alert_id} for this patient") from None


def _error_text(error: ValidationError) -> str:
    return " ".join(message for messages_ in error.message_dict.values() for message in messages_)


def _status_for(error: ValidationError) -> int:
    """409 when the order's state forbids the step (already signed ...), else 400."""
    codes = {e.code for errors in getattr(error, "error_dict", {}).values() for e in errors}
    return 409 if codes & {lifecycle.ORDER_NOT_PENDED, lifecycle.ORDER_NOT_ACTIVE} else 400


def _orders_page(request, patient, *, composer=None, composing=None, editing=None, status: int = 200):
    """The Orders activity, with an optional composer (new order or edit of a pended one)."""
    search = OrderSearchForm(request.GET or None)
    query = search_type = ""
    warnings = []
    if search.is_valid():
        query, search_type = search.cleaned_data["q"], search.cleaned_data["type"]
    elif search.is_bound:
        warnings.append("Search: " + " ".join(e for errs in search.errors.values() for e in errs))
    list_status = request.GET.get("status", selectors.DEFAULT_STATUS_FILTER)
    if list_status not in selectors.ORDER_STATUS_FILTERS:
        warnings.append(f"Unknown order status “{list_status}”; showing active orders.")
        list_status = selectors.DEFAULT_STATUS_FILTER
    if composer is not None and composer.is_bound:
        composer.mark_invalid_fields()
    pended = list(selectors.orders_pended_for_shelf(patient))
    counts = selectors.order_counts(patient)
    context = {
        "search": search,
        "query": query,
        "search_type": search_type,
        "results": selectors.orderable_search(query, order_type=search_type) if query else [],
        "order_sets": selectors.order_sets(),
        "composer": composer,
        "composing": composing,
        "editing": editing,
        "pended": pended,
        "review_alerts": list(selectors.alerts_for_review(patient)),
        "orders": selectors.orders_with_alert_counts(patient, status=list_status),
        "list_status": list_status,
        "status_filters": [(s, counts.get(s, 0)) for s in selectors.ORDER_STATUS_FILTERS],
        "warnings": warnings,
    }
    response = render_chart(request, patient, tab=TAB, template="orders/chart_orders.html", context=context)
    response.status_code = status
    return response


# --- the Orders activity ---------------------------------------------------------------------


@login_required
@require_GET
def chart_orders(request, mrn: str):
    patient = chart_patient(mrn)
    composer = composing = editing = None
    if "compose" in request.GET:
        try:
            composing = selectors.orderable_get(request.GET["compose"])
        except (Orderable.DoesNotExist, Orderable.MultipleObjectsReturned):
            messages.warning(request, f"Unknown orderable “{request.GET['compose'][:40]}”: search the catalog instead.")
        else:
            composer = OrderComposerForm(initial=OrderComposerForm.initial_for(composing), orderable=composing)
    elif "edit" in request.GET:
        try:
            editing = selectors.order_get(patient=patient, order_id=int(request.GET["edit"]))
        except (ValueError, Order.DoesNotExist):
            messages.warning(request, "That order is not on this chart.")
        else:
            if editing.is_pended:
                composing = editing.orderable
                composer = OrderComposerForm(initial=OrderComposerForm.initial_from_order(editing), orderable=composing)
            else:
                messages.error(
                    request,
                    f"Order #{editing.pk} is {editing.status}: signed orders cannot be edited. "
                    "Discontinue it and reorder.",
                )
                editing = None
    return _orders_page(request, patient, composer=composer, composing=composing, editing=editing)


@login_required
@require_POST
def order_pend(request, mrn: str):
    patient = chart_patient(mrn)
    try:
        orderable = selectors.orderable_get(request.POST.get("orderable", ""))
    except (Orderable.DoesNotExist, Orderable.MultipleObjectsReturned):
        messages.error(request, f"Unknown orderable “{request.POST.get('orderable', '')[:40]}”: search the catalog.")
        return _orders_page(request, patient, status=400)
    form = OrderComposerForm(request.POST, orderable=orderable)
    if form.is_valid():
        try:
            order = lifecycle.order_pend(
                patient=patient, orderable=orderable, actor=_actor(request), **form.service_values()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Pended {order.display}. Sign orders to make it active.")
            return redirect(_orders_url(mrn) + "#pended-orders")
    return _orders_page(request, patient, composer=form, composing=orderable, status=400)


@login_required
@require_POST
def order_edit(request, mrn: str, order_id: int):
    patient, order = _patient_order(mrn, order_id)
    form = OrderComposerForm(request.POST, orderable=order.orderable)
    if form.is_valid():
        try:
            lifecycle.order_update(order=order, actor=_actor(request), **form.service_values())
        except ValidationError as error:
            if _status_for(error) == 409:
                messages.error(request, _error_text(error))
                return redirect(_orders_url(mrn))
            add_service_errors(form, error)
        else:
            messages.success(request, f"Updated pended order {order.display}.")
            return redirect(_orders_url(mrn) + "#pended-orders")
    return _orders_page(request, patient, composer=form, composing=order.orderable, editing=order, status=400)


def _post_action(request, mrn: str, action, success, *, anchor: str = "", next_url: str = ""):
    """Run a service for a POST and redirect back with its outcome as a message.

    `success` is the message, or a function of the service's result that writes it.
    """
    try:
        result = action()
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(next_url or (_orders_url(mrn, status=request.POST.get("status", "")) + anchor))


@login_required
@require_POST
def order_remove(request, mrn: str, order_id: int):
    _patient, order = _patient_order(mrn, order_id)
    return _post_action(
        request,
        mrn,
        lambda: lifecycle.order_cancel(order=order, actor=_actor(request), reason="Removed before signing"),
        f"Removed {order.display} from the pended orders.",
        anchor="#pended-orders",
    )


@login_required
@require_POST
def order_discontinue(request, mrn: str, order_id: int):
    _patient, order = _patient_order(mrn, order_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _post_action(
        request,
        mrn,
        lambda: lifecycle.order_discontinue(order=order, actor=_actor(request), reason=reason),
        f"Discontinued {order.display}.",
        anchor="#order-list",
    )


@login_required
@require_POST
def order_reorder(request, mrn: str, order_id: int):
    _patient, order = _patient_order(mrn, order_id)
    return _post_action(
        request,
        mrn,
        lambda: lifecycle.order_reorder(order=order, actor=_actor(request)),
        f"Reordered {order.display} as a pended order; review it and sign.",
        anchor="#pended-orders",
    )


@login_required
@require_POST
def order_set_apply(request, mrn: str, slug: str):
    patient = chart_patient(mrn)
    return _post_action(
        request,
        mrn,
        lambda: lifecycle.order_set_apply(patient=patient, order_set=slug, actor=_actor(request)),
        lambda orders: f"Pended {len(orders)} orders from the order set; edit any of them, then sign.",
        anchor="#pended-orders",
    )


# --- signing with decision support --------------------------------------------------------------


@login_required
@require_POST
def orders_sign(request, mrn: str):
    patient = chart_patient(mrn)
    try:
        signed = signing.orders_sign(patient=patient, actor=_actor(request))
    except signing.OrderSignBlocked:
        messages.warning(request, "Not signed yet: respond to the alerts below, then sign.")
        return redirect("orders:sign_review", mrn=mrn)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(_orders_url(mrn))
    names = ", ".join(order.display for order in signed)
    messages.success(request, f"Signed {len(signed)} order{'s' if len(signed) != 1 else ''}: {names}.")
    return redirect(_orders_url(mrn, status="active") + "#order-list")


@login_required
@require_GET
def sign_review(request, mrn: str):
    patient = chart_patient(mrn)
    pended = list(selectors.orders_pended(patient))
    alerts = list(selectors.alerts_for_review(patient))
    context = {
        "pended": pended,
        "alerts": alerts,
        "open_count": sum(alert.is_open for alert in alerts),
    }
    return render_chart(request, patient, tab=TAB, template="orders/sign_review.html", context=context)


@login_required
@require_POST
def alert_acknowledge(request, mrn: str, alert_id: int):
    _patient, alert = _patient_alert(mrn, alert_id)
    return _post_action(
        request,
        mrn,
        lambda: signing.alert_acknowledge(alert=alert, actor=_actor(request)),
        f"Acknowledged: {alert.title}.",
        next_url=reverse("orders:sign_review", kwargs={"mrn": mrn}) + f"#alert-{alert.pk}",
    )


@login_required
@require_POST
def alert_override(request, mrn: str, alert_id: int):
    _patient, alert = _patient_alert(mrn, alert_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _post_action(
        request,
        mrn,
        lambda: signing.alert_override(alert=alert, actor=_actor(request), reason=reason),
        f"Overrode: {alert.title}.",
        next_url=reverse("orders:sign_review", kwargs={"mrn": mrn}) + f"#alert-{alert.pk}",
    )


# --- one order -------------------------------------------------------------------------------------


@login_required
@require_GET
def order_detail(request, mrn: str, order_id: int):
    patient, order = _patient_order(mrn, order_id)
    context = {
        "order": order,
        "alerts": selectors.order_alerts(order),
        "results": order.results.order_by("display"),
        "order_set_name": selectors.order_set_name(order.order_set),
    }
    return render_chart(request, patient, tab=TAB, template="orders/order_detail.html", context=context)


@login_required
def order_result_entry(request, mrn: str, order_id: int):
    """Result entry for an active lab order (lab staff: the admin links here)."""
    if not request.user.is_staff:
        raise PermissionDenied("Only lab staff (staff users) enter results.")
    patient, order = _patient_order(mrn, order_id)
    if order.order_type != OrderType.LAB:
        raise Http404("Only lab orders have results")
    form_class = result_form_class(order.orderable)
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            results.order_result(order=order, actor=_actor(request), values=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            status = _status_for(error)
        else:
            messages.success(request, f"Resulted {order.display}; it is completed and shows in Results.")
            return redirect("orders:order_detail", mrn=mrn, order_id=order.pk)
    elif request.method == "POST":
        status = 400
    response = render_chart(
        request, patient, tab=TAB, template="orders/result_entry.html", context={"order": order, "form": form}
    )
    response.status_code = status
    return response


@login_required
@require_POST
def order_complete(request, mrn: str, order_id: int):
    if not request.user.is_staff:
        raise PermissionDenied("Only staff mark orders as performed.")
    _patient, order = _patient_order(mrn, order_id)
    return _post_action(
        request,
        mrn,
        lambda: lifecycle.order_complete(order=order, actor=_actor(request)),
        f"Marked {order.display} as done.",
        next_url=reverse("orders:order_detail", kwargs={"mrn": mrn, "order_id": order.pk}),
    )
