"""18.0.1.2.0: the dunning levels that used the old dunning email (renamed by pre-migrate) use the new one;
the letters sent before are taken as printed (when last changed), so *To Do* does not ask to print them again
(and they count as written reminders for the spacing); the customer statement email names the company it is
sent from."""

OLD, NEW = "user.company_id.name", "object.env.company.name"


def migrate(cr, version):
    cr.execute("""
        UPDATE credit_dunning_level lv
           SET mail_template_id = d.res_id
          FROM mail_template old, ir_model_data d
         WHERE old.id = lv.mail_template_id AND right(old.name ->> 'en_US', 20) = ' (before 18.0.1.2.0)'
           AND d.module = 'credit_control' AND d.name = 'mail_template_dunning'
    """)
    cr.execute("""
        UPDATE credit_dunning_communication SET letter_printed_date = write_date
         WHERE action_letter AND state IN ('sent', 'done') AND letter_printed_date IS NULL
    """)
    rewrite_statement_template_company(cr)


def rewrite_statement_template_company(cr):
    """The customer statement email (a ``noupdate`` template) names the company the statement is sent from
    (``object.env.company``), not the sender's default company (``user.company_id``): rewritten in place, in every
    language and in a customised wording too, so that its translations stay. Safe to run twice."""
    cr.execute("""
        UPDATE mail_template t
           SET subject = (SELECT jsonb_object_agg(key, replace(value, %(old)s, %(new)s))
                            FROM jsonb_each_text(t.subject)),
               body_html = (SELECT jsonb_object_agg(key, replace(value, %(old)s, %(new)s))
                              FROM jsonb_each_text(t.body_html))
          FROM ir_model_data d
         WHERE d.model = 'mail.template' AND d.res_id = t.id
           AND d.module = 'credit_control' AND d.name = 'mail_template_customer_statement'
           AND (strpos(t.subject::text, %(old)s) > 0 OR strpos(t.body_html::text, %(old)s) > 0)
    """, {"old": OLD, "new": NEW})
