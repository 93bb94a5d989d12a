"""Columns of the credit-profile export."""


def credit_profile_columns(env):
    grades = dict(env["res.partner"]._fields["credit_grade"]._description_selection(env))
    return [
        (env._("Customer"), 32, lambda p: p.display_name, None),
        (env._("Tier"), 14, lambda p: p.credit_tier_id.name or "", None),
        (env._("Grade"), 8, lambda p: grades.get(p.credit_grade, ""), None),
        (env._("Score"), 8, lambda p: p.credit_score, None),
        (env._("Credit Limit"), 16, lambda p: env._("No limit") if p.credit_no_limit else p.credit_limit, "money"),
        (env._("Suggested Limit"), 16, lambda p: p.credit_suggested_limit, "money"),
        (env._("Exposure"), 16, lambda p: p.credit_exposure, "money"),
        (env._("Overdue"), 16, lambda p: p.credit_overdue_amount, "money"),
        (env._("Utilisation (%)"), 14, lambda p: p.credit_utilization / 100.0, "percent"),
        (env._("Credit Hold"), 10, lambda p: env._("Yes") if p.credit_hold else "", None),
        (env._("Hold Reason"), 24, lambda p: p.credit_hold_reason or "", None),
        (env._("Next Review"), 12, lambda p: p.credit_review_date, "date"),
        (env._("Credit File"), 30, lambda p: p.credit_file_issues or env._("Complete"), None),
        (env._("Rating Explanation"), 60, lambda p: p.credit_rating_explanation or "", "wrap"),
    ]
