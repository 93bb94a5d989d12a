"""18.0.1.2.0: the dunning levels that used the old dunning email (renamed by pre-migrate) use the new one;
the letters sent before are taken as printed (when last changed), so *To Do* does not ask to print them again."""


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
