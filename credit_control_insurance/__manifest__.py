{
    "name": "Credit Control - Trade-Credit Insurance",
    "summary": "Trade-credit insurance policies: indemnity, deductible, maximum liability and deadlines",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "credit_control contributors",
    "website": "https://github.com/credit-control/credit_control",
    "maintainers": ["credit-control"],
    "development_status": "Beta",
    "depends": ["credit_control"],
    "data": [
        "security/credit_control_insurance_security.xml",
        "security/ir.model.access.csv",
        "views/credit_insurance_policy_views.xml",
        "views/credit_control_insurance_menus.xml",
    ],
    "demo": [
        "demo/credit_insurance_policy_demo.xml",
    ],
    "installable": True,
}
