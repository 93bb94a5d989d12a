import { registry } from "@web/core/registry";
import { screenshot } from "@credit_control/../tests/tours/credit_control_tours";

const tours = registry.category("web_tour.tours");

// A credit manager asks the insurer to cover a buyer, records the grant, then claims on the buyer's
// notified overdue invoices.
tours.add("credit_insurance_cover_claim_tour", {
    steps: () => [
        {
            content: "Open the buyer",
            trigger: ".o_data_row td[name='display_name']:contains('Tour Buyer')",
            run: "click",
        },
        {
            trigger: ".o_notebook .nav-link:contains('Insurance')",
            run: "click",
        },
        screenshot("customer-insurance-tab", ".o_notebook button[name='action_request_insurance_cover']"),
        {
            trigger: "button[name='action_request_insurance_cover']",
            run: "click",
        },
        {
            content: "The buyer is in the request, with its credit limit",
            trigger: ".modal .o_data_row td[name='partner_id']:contains('Tour Buyer')",
        },
        {
            trigger: ".modal button[name='action_request']",
            run: "click",
        },
        {
            content: "The request file is ready for the insurer",
            trigger: ".modal .alert-success .o_field_binary",
        },
        screenshot("cover-request", ".modal .alert-success .o_field_binary"),
        {
            trigger: ".modal .modal-footer button:contains('Close')",
            run: "click",
        },
        {
            trigger: ".o_menu_sections .dropdown-toggle:contains('Credit Insurance')",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Buyer Cover')",
            run: "click",
        },
        {
            content: "Open the request",
            trigger: ".o_data_row:contains('Requested') td[name='partner_id']:contains('Tour Buyer')",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_record_decision']",
            run: "click",
        },
        {
            content: "The insurer's answer opens: granted (prefilled), with its reference",
            trigger: ".o_form_view .o_field_widget[name='request_id']:contains('Tour Buyer')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='insurer_reference'] input",
            run: "edit SCI-TOUR-1",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Landed on the decision, saved",
            trigger: ".o_breadcrumb .active:contains('Granted')",
        },
        {
            content: "Back on the request: answered, no second decision",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Requested')",
            run: "click",
        },
        {
            trigger: ".o_form_view .alert-info .o_field_widget[name='answer_id']:contains('Granted')",
        },
        {
            trigger: ".o_form_view:not(:has(button[name='action_record_decision']))",
        },
        {
            content: "The policy leads to everything under it",
            trigger: ".o_menu_sections .dropdown-toggle:contains('Credit Insurance')",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Insurance Policies')",
            run: "click",
        },
        {
            trigger: ".o_data_row td[name='policy_number']:contains('TOUR-1')",
            run: "click",
        },
        {
            content: "Liability left: no claim holds any of it yet",
            trigger: ".o_form_view .o_field_widget[name='liability_remaining']:contains('100,000.00')",
        },
        screenshot("policy-smart-buttons", ".o_form_view .o-form-buttonbox"),
        {
            trigger: ".o_form_view button[name='action_view_covers']:contains('3')",
            run: "click",
        },
        {
            content: "The decision in force is marked: the grant just recorded",
            trigger: ".o_data_row:contains('SCI-TOUR-1') td[name='in_force'] input:checked",
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('TOUR-1')",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_view_notifications']:contains('1')",
            run: "click",
        },
        {
            trigger: ".o_data_row td[name='partner_id']:contains('Tour Buyer')",
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('TOUR-1')",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_view_claims']:contains('0')",
            run: "click",
        },
        {
            content: "No claim on the policy yet",
            trigger: ".o_view_nocontent, .o_list_renderer:not(:has(.o_data_row))",
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('TOUR-1')",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_view_declarations']",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb .active:contains('Premium Declarations')",
        },
        {
            trigger: ".o_menu_sections .dropdown-toggle:contains('Credit Insurance')",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Overdue Notifications')",
            run: "click",
        },
        {
            content: "Show the notifications already sent",
            trigger: ".o_searchview_facet:contains('Draft') .o_facet_remove",
            run: "click",
        },
        {
            trigger: ".o_data_row td[name='partner_id']:contains('Tour Buyer')",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_create_claim']",
            run: "click",
        },
        {
            content: "The claim is on the notified invoice",
            trigger: ".o_form_view .o_field_widget[name='notification_id']:contains('OVN')",
        },
        screenshot("claim-from-notification", ".o_form_view .o_field_widget[name='notification_id']"),
    ],
});

// Once the documents are in, the manager files the claim, the insurer accepts it and pays.
tours.add("credit_insurance_indemnity_tour", {
    steps: () => [
        {
            trigger: ".o_form_view button[name='action_file']",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_accept']",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_register_indemnity']",
            run: "click",
        },
        {
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Indemnified')",
        },
        screenshot("claim-indemnified", ".o_form_view:not(:has(.modal)) .o_statusbar_status"),
    ],
});
