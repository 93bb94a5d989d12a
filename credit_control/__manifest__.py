{
    "name": "Credit Control",
    "summary": "Credit tiers, explainable ratings, suggested limits and periodic credit reviews",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "credit_control contributors",
    "website": "https://github.com/credit-control/credit_control",
    "maintainers": ["credit-control"],
    "development_status": "Beta",
    "depends": ["account", "mail"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/credit_control_security.xml",
        "security/ir.model.access.csv",
        "views/credit_tier_views.xml",
        "views/credit_control_menus.xml",
    ],
    "demo": [
        "demo/credit_tier_demo.xml",
    ],
    "application": False,
    "installable": True,
}
