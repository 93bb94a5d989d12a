/** @odoo-module */

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// Under `make screenshots` the test browser saves the screen as docs/screenshots/<name>.png (see test_ui.py).
export function screenshot(name, trigger) {
    return {
        content: `Screenshot ${name}`,
        trigger,
        run: async () => {
            console.log(`credit-screenshot:${name}`);
            await new Promise((resolve) => setTimeout(resolve, 700));
        },
    };
}

// Credit manager: review a customer, change its tier and limit, see the change tracked.
tours.add("credit_control_review_tour", {
    steps: () => [
        {
            content: "Open the customer from the credit profiles",
            trigger: ".o_data_row td:contains('Tour Customer')",
            run: "click",
        },
        {
            content: "Open the Credit tab",
            trigger: ".o_notebook .nav-link:contains('Credit'):not(:contains('Review'))",
            run: "click",
        },
        {
            content: "Start a credit review",
            trigger: "button[name='action_open_credit_review']",
            run: "click",
        },
        {
            content: "The review shows the exposure",
            trigger: ".modal div[name='exposure']:contains('700.00')",
        },
        screenshot("credit-review-dialog", ".modal div[name='exposure']:contains('700.00')"),
        {
            content: "Move the customer to the core tier",
            trigger: ".modal div[name='new_tier_id'] input",
            run: "edit Tour Core",
        },
        {
            trigger: ".ui-menu-item a:contains('Tour Core')",
            run: "click",
        },
        {
            content: "Approve a higher limit",
            trigger: ".modal div[name='new_limit'] input",
            run: "edit 5000",
        },
        {
            trigger: ".modal div[name='note'] textarea",
            run: "edit Quarterly review: volumes grow, pays on time",
        },
        {
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The new limit shows on the customer",
            trigger: ".o_form_view:not(:has(.modal)) div[name='credit_limit']:contains('5,000.00')",
        },
        {
            content: "The change is tracked in the chatter",
            trigger: ".o-mail-Message:contains('5,000.00')",
        },
        screenshot("customer-credit-tab", ".o-mail-Message:contains('5,000.00')"),
    ],
});

// Accountant: posting over the limit opens the dialog with the numbers, without an approve button.
tours.add("credit_control_refusal_tour", {
    steps: () => [
        {
            content: "Post the invoice",
            trigger: ".o_form_view button[name='action_post']:visible",
            run: "click",
        },
        {
            content: "The dialog explains the refusal in numbers",
            trigger: ".modal:contains('Excess'):contains('1,200.00'):contains('200.00')",
        },
        screenshot("posting-refused", ".modal:contains('Excess')"),
        {
            content: "Only a credit manager may approve",
            trigger: ".modal:not(:has(button[name='action_approve']))",
        },
        {
            content: "Ask a credit manager instead",
            trigger: ".modal button[name='action_request_approval']",
            run: "click",
        },
        {
            content: "The invoice stays in draft",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current:contains('Draft')",
        },
    ],
});

// Credit manager: approve the override with a reason and find it in the Overrides list.
tours.add("credit_control_override_tour", {
    steps: () => [
        {
            trigger: ".o_form_view button[name='action_post']:visible",
            run: "click",
        },
        {
            content: "Give the justification",
            trigger: ".modal div[name='reason'] textarea",
            run: "edit Strategic order approved by the CFO",
        },
        {
            content: "Approve the override",
            trigger: ".modal button[name='action_approve']",
            run: "click",
        },
        {
            content: "The invoice is posted",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current:contains('Posted')",
        },
        {
            content: "Open its overrides",
            trigger: "button[name='action_view_credit_overrides']",
            run: "click",
        },
        {
            content: "The override is listed with its reason",
            trigger: ".o_list_view .o_data_row:contains('Strategic order approved by the CFO')",
        },
        screenshot("credit-overrides", ".o_list_view .o_data_row"),
    ],
});

// Clicks "Approve override": passes for a credit manager, fails for anyone the button is hidden from.
tours.add("credit_control_approve_click_tour", {
    steps: () => [
        {
            trigger: ".o_form_view button[name='action_post']:visible",
            run: "click",
        },
        {
            content: "Click Approve override",
            trigger: ".modal button[name='action_approve']",
            run: "click",
        },
    ],
});

// A Chinese-speaking credit manager sees the menu, the customer tab and the rating in Chinese.
tours.add("credit_control_zh_cn_tour", {
    steps: () => [
        {
            content: "The Credit Control menu is in Chinese",
            trigger: ".o_main_navbar .o_menu_sections:contains('信用管理')",
        },
        {
            content: "The list title is in Chinese",
            trigger: ".o_breadcrumb:contains('信用概况')",
        },
        {
            trigger: ".o_data_row td:contains('ZH Customer')",
            run: "click",
        },
        {
            content: "The partner tab is in Chinese",
            trigger: ".o_notebook .nav-link:contains('信用')",
            run: "click",
        },
        {
            content: "The rating explanation is in Chinese",
            trigger: "div[name='credit_rating_explanation']:contains('评分')",
        },
        screenshot("zh-cn-credit-tab", "div[name='credit_rating_explanation']:contains('评分')"),
        {
            trigger: "button[name='action_open_credit_review']:contains('信用复评')",
        },
    ],
});

// Credit controller: preview and run the dunning of one customer, then close the communication.
tours.add("credit_control_dunning_tour", {
    steps: () => [
        {
            content: "Select the customer",
            trigger: ".o_data_row:contains('Tour Customer') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the Actions menu",
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Dunning Run')",
            run: "click",
        },
        {
            content: "The preview shows what will be sent",
            trigger: ".modal div[name='preview'] td:contains('Tour reminder')",
        },
        screenshot("dunning-preview", ".modal div[name='preview'] td:contains('Tour reminder')"),
        {
            trigger: ".modal button[name='action_run']",
            run: "click",
        },
        {
            content: "Open the communication that was sent",
            trigger: ".o_data_row:contains('Sent') td[name='partner_id']:contains('Tour Customer')",
            run: "click",
        },
        {
            content: "Close it once followed up",
            trigger: ".o_form_view button[name='action_done']",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
    ],
});


tours.add("credit_control_warning_tour", {
    steps: () => [
        {
            content: "Open the Credit Control menu",
            trigger: ".o_menu_sections .dropdown-toggle:contains('Credit Control')",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Warnings')",
            run: "click",
        },
        {
            content: "Unresolved warnings are listed, red first",
            trigger: ".o_facet_value:contains('Unresolved')",
        },
        screenshot("warnings-list", ".o_data_row td[name='partner_id']:contains('Tour Customer')"),
        {
            content: "Open the customer's red warning",
            trigger: ".o_data_row:contains('Red') td[name='partner_id']:contains('Tour Customer')",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_acknowledge']",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Acknowledged')",
        },
        {
            content: "The company's own cash-flow KPIs are one menu away",
            trigger: ".o_menu_sections .dropdown-toggle:contains('Credit Control')",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Cash-Flow KPIs')",
            run: "click",
        },
        screenshot("cash-flow-kpis", ".o_list_view .o_data_row td[name='dso']"),
    ],
});

// Credit controller: from the dunning To Do, call the customer, log its promise, find it on the customer.
tours.add("credit_control_call_promise_tour", {
    steps: () => [
        {
            content: "Open the Credit Control menu",
            trigger: ".o_menu_sections .dropdown-toggle:contains('Credit Control')",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Dunning')",
            run: "click",
        },
        {
            content: "Dunning opens on what needs a person today",
            trigger: ".o_facet_value:contains('To Do')",
        },
        {
            trigger: ".o_group_header:contains('Tour call')",
            run: "click",
        },
        {
            content: "Log the call of the customer",
            trigger: ".o_data_row:contains('Tour Customer') button[name='action_log_call']",
            run: "click",
        },
        {
            content: "The customer promised to pay",
            trigger: ".modal div[name='outcome'] label:contains('Promise to pay')",
            run: "click",
        },
        {
            trigger: ".modal div[name='promise_date'] input",
            run: "edit 12/31/2030",
        },
        {
            trigger: ".modal div[name='promise_amount'] input",
            run: "edit 400",
        },
        {
            trigger: ".modal div[name='note'] textarea",
            run: "edit Pays the first part at month end",
        },
        screenshot("log-call-promise", ".modal div[name='promise_amount'] input"),
        {
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The promise opens",
            trigger: ".o_breadcrumb:contains('Tour Customer:'):contains('400.00'):contains('12/31/2030')",
        },
        {
            content: "Find the promise on the customer",
            trigger: ".o_menu_sections .dropdown-toggle:contains('Credit Control')",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains('Customers')",
            run: "click",
        },
        {
            trigger: ".o_data_row td:contains('Tour Customer')",
            run: "click",
        },
        {
            trigger: ".o_notebook .nav-link:contains('Credit'):not(:contains('Review'))",
            run: "click",
        },
        {
            trigger: "div[name='credit_promise_ids'] .o_data_row:contains('400.00'):contains('Open')",
        },
    ],
});
