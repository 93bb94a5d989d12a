import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@freeze_time("2026-06-30")
@tagged("post_install", "-at_install")
class TestCreditProfile(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two long-standing customers: a first invoice in January 2024, paid on the due date.
        cls.late_payer = cls._customer("Late Payer", credit_tier_id=cls.tier_core.id)
        cls.slow_customer = cls._customer("Slow Customer", credit_tier_id=cls.tier_regular.id)
        for partner in cls.late_payer | cls.slow_customer:
            cls._pay(cls._invoice(partner, 1000.0, "2024-01-10"), 1000.0, "2024-02-09")

    def _rate(self, partners):
        partners._credit_compute_profiles()
        return partners

    def test_customer_always_20_days_late(self):
        # Two invoices of 1,000 due after 30 days, each paid 20 days after its due date.
        self._pay(self._invoice(self.late_payer, 1000.0, "2026-01-01"), 1000.0, "2026-02-20")
        self._pay(self._invoice(self.late_payer, 1000.0, "2026-03-01"), 1000.0, "2026-04-20")
        self._rate(self.late_payer)
        # Payment delay: 30 points × 20 / 60 days = -10; nothing open, 29 months of history: score 90, grade A.
        self.assertEqual(self.late_payer.credit_score, 90)
        self.assertEqual(self.late_payer.credit_grade, "A")
        self.assertIn("Payment delay: -10.0 points (20.0 days late on average)",
                      self.late_payer.credit_rating_explanation)
        # Core tier: 2 × (2,000 invoiced over the last 12 months / 12) = 333.33, rounded down to 1,000s = 0.
        self.assertEqual(self.late_payer.credit_suggested_limit, 0.0)
        self.tier_core.limit_rounding = 100.0
        self._rate(self.late_payer)
        self.assertEqual(self.late_payer.credit_suggested_limit, 300.0)

    def test_overdue_share_and_dso(self):
        self._invoice(self.slow_customer, 3000.0, "2026-04-15")  # due 2026-05-15: 46 days overdue
        self._invoice(self.slow_customer, 1000.0, "2026-06-15")  # due 2026-07-15: not yet due
        self._rate(self.slow_customer)
        # Overdue share 3,000 / 4,000 = 75% of 25 points = -18.8 (rounded to 0.1).
        # DSO = 365 × 4,000 open / 4,000 sales = 365 days, 335 over the 30-day terms: the full -15.
        # Score 100 - 18.8 - 15 = 66.2 -> 66, grade B (65-79).
        self.assertEqual(self.slow_customer.credit_score, 66)
        self.assertEqual(self.slow_customer.credit_grade, "B")
        self.assertEqual(self.slow_customer.credit_exposure, 4000.0)
        self.assertEqual(self.slow_customer.credit_overdue_amount, 3000.0)
        # Regular tier: 30% of the 4,000 invoiced in the last 3 months.
        self.assertEqual(self.slow_customer.credit_suggested_limit, 1200.0)

    def test_company_default_tier(self):
        """A tier set as the company-wide default (ir.default) is rated like an explicit one,
        also for customers that existed before the default was set."""
        newcomer = self._customer("Defaulted")
        self.env["ir.default"].set("res.partner", "credit_tier_id", self.tier_regular.id,
                                   company_id=self.env.company.id)
        self._invoice(newcomer, 2000.0, "2026-06-01")
        self.assertEqual(newcomer.credit_tier_id, self.tier_regular)
        self.assertIn(newcomer.id, self.env["res.partner"]._credit_pending_partner_ids(date(2026, 6, 30)))
        self._rate(newcomer)
        self.assertEqual(newcomer.credit_suggested_limit, 600.0)  # 30% of 2,000

    def test_grade_bands_and_manual_adjustment(self):
        self._invoice(self.slow_customer, 3000.0, "2026-03-01")
        self.slow_customer.write({"credit_manual_adjustment": -20, "credit_manual_reason": "Lawsuit reported"})
        self._rate(self.slow_customer)
        # 100 - 25 (all overdue) - 15 (DSO) - 20 (manual) = 40: grade D (35-49).
        self.assertEqual((self.slow_customer.credit_score, self.slow_customer.credit_grade), (40, "D"))
        self.env.company.credit_grade_d_min = 45
        self._rate(self.slow_customer)
        self.assertEqual(self.slow_customer.credit_grade, "E")
        with self.assertRaises(ValidationError):
            self.env.company.credit_grade_b_min = 90  # above grade A's band

    def test_foreign_currency_credit_notes_and_partial_payments(self):
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        self._invoice(self.slow_customer, 2000.0, "2026-06-01", currency=eur)  # 1,000 in company currency
        invoice = self._invoice(self.slow_customer, 1000.0, "2026-06-10")
        self._invoice(self.slow_customer, 200.0, "2026-06-12", move_type="out_refund")
        self._pay(invoice, 300.0, "2026-06-20")
        # 1,000 + (1,000 - 300 paid) - 200 credit note = 1,500.
        self.assertEqual(self.slow_customer.credit_exposure, 1500.0)
        self._rate(self.slow_customer)
        # Quarter sales net of the credit note: 1,000 + 1,000 - 200 = 1,800; 30% = 540.
        self.assertEqual(self.slow_customer.credit_suggested_limit, 540.0)

    def test_contacts_roll_up_to_commercial_partner(self):
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.slow_customer.id})
        self._invoice(contact, 700.0, "2026-06-01")
        self.slow_customer.credit_limit = 1000.0
        self._rate(contact.commercial_partner_id)
        self.assertEqual(self.slow_customer.credit_exposure, 700.0)
        self.assertEqual(contact.credit_exposure, 700.0)
        self.assertAlmostEqual(self.slow_customer.credit_utilization, 70.0)
        self.assertEqual(contact.credit_grade, self.slow_customer.credit_grade)
        self.assertEqual(contact.credit_tier_id, self.tier_regular)
        self.assertIn(self.slow_customer, self.env["res.partner"].search([("credit_utilization", ">", 60)]))
        self.assertNotIn(self.slow_customer, self.env["res.partner"].search([("credit_utilization", ">", 90)]))
        self.assertIn(contact, self.env["res.partner"].search([("credit_exposure", ">=", 700)]))

    def test_multi_company_isolation(self):
        other = self.setup_other_company()["company"]
        self._invoice(self.slow_customer, 5000.0, "2026-06-01", company=other)
        self._invoice(self.slow_customer, 100.0, "2026-06-01")
        self._rate(self.slow_customer)
        self.assertEqual(self.slow_customer.credit_exposure, 100.0)
        in_other = self.slow_customer.with_company(other)
        self.assertFalse(in_other.credit_tier_id, "tiers are per company")
        self.assertFalse(in_other.credit_grade, "not rated in the other company yet")
        self.assertEqual(in_other.credit_exposure, 5000.0)
        self._rate(in_other)
        self.assertTrue(in_other.credit_grade)
        self.assertEqual(self.slow_customer.credit_suggested_limit, 30.0, "first company's values kept")
        with self.assertRaises(ValidationError):
            self.env["credit.tier"].with_company(other).create(
                {"name": "Bad", "code": "BAD", "quarter_percent": 150.0})

    def test_access_rights_and_tracking(self):
        # The user may edit contacts in general; only the credit fields are a manager's.
        user = new_test_user(self.env, "cc_user_p",
                             groups="credit_control.group_credit_control_user,base.group_partner_manager")
        manager = new_test_user(self.env, "cc_manager_p", groups="credit_control.group_credit_control_manager")
        as_user = self.slow_customer.with_user(user)
        for values in ({"credit_limit": 5000.0}, {"credit_tier_id": self.tier_core.id}, {"credit_hold": True}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                as_user.write(values)
        as_user.write({"credit_external_rating": 7, "credit_external_source": "Agency"})  # outside data is open
        # Creating a customer with the company's default limit is fine; with a limit of one's own it is not.
        self.env["ir.default"].set("res.partner", "credit_limit", 2000.0, company_id=self.env.company.id)
        with Form(self.env["res.partner"].with_user(user)) as new_customer:
            new_customer.name = "New Co"
        self.assertEqual(new_customer.record.credit_limit, 2000.0)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(user).create({"name": "Greedy Co", "credit_limit": 9999.0})
        # The test environment disables tracking by default; turn it back on as in real use.
        tracked_env = self.slow_customer.with_context(tracking_disable=False, mail_notrack=False)
        tracked_env.with_user(manager).write({"credit_limit": 5000.0})
        self.assertEqual(self.slow_customer.credit_limit, 5000.0)
        self.env.cr.precommit.run()  # tracking values are written just before commit
        tracked = self.slow_customer.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "credit_limit")
        self.assertEqual([(t.old_value_float, t.new_value_float) for t in tracked], [(2000.0, 5000.0)])
        # A salesperson without accounting rights still creates customers and contacts of rated customers.
        sales = new_test_user(self.env, "cc_sales", groups="base.group_user,base.group_partner_manager")
        contact = self.env["res.partner"].with_user(sales).create({"name": "Buyer", "parent_id": self.slow_customer.id})
        self.assertEqual(contact.sudo().credit_tier_id, self.tier_regular)
        with self.assertRaises(AccessError):
            contact.with_user(sales).credit_tier_id  # noqa: B018 (credit data is for accounting users)
        # On core's Invoicing tab the limit is read-only for a Credit Control User, editable for a manager.
        self.env.company.account_use_credit_limit = True
        with Form(as_user) as partner_form, self.assertRaisesRegex(AssertionError, "readonly"):
            partner_form.credit_limit = 6000.0
        with Form(self.slow_customer.with_user(manager)) as partner_form:
            partner_form.credit_limit = 6000.0
        self.assertEqual(self.slow_customer.credit_limit, 6000.0)

    def test_bad_input(self):
        with self.assertRaises(ValidationError):
            self.slow_customer.credit_limit = -1.0
        archived = self.env["credit.tier"].create({"name": "Old", "code": "OLD", "active": False})
        with self.assertRaises(ValidationError):
            self.slow_customer.credit_tier_id = archived
        # Archiving the tier a customer already has does not lock the customer.
        self.tier_regular.active = False
        self.env["res.partner"].create({"name": "New Buyer", "parent_id": self.slow_customer.id})
        self.slow_customer.credit_limit = 1234.0
        with self.assertRaises(ValidationError):
            self.slow_customer.credit_manual_adjustment = 10  # no reason given
        with self.assertRaises(ValidationError):
            self.slow_customer.write({"credit_manual_adjustment": 50, "credit_manual_reason": "x"})
        with self.assertRaises(ValidationError):
            self.slow_customer.credit_external_rating = 11
        self.assertEqual(self.slow_customer.with_context(active_test=False).credit_tier_id, self.tier_regular)

    def test_query_count_does_not_grow_with_partners(self):
        partners = self.env["res.partner"].create([{"name": f"C{i}", "is_company": True} for i in range(200)])
        self.env["account.move"].create([{
            "move_type": "out_invoice", "partner_id": p.id, "invoice_date": "2026-05-01",
            "invoice_payment_term_id": self._term(30).id,
            "invoice_line_ids": [Command.create({"name": "x", "price_unit": 100.0 + i, "tax_ids": []})],
        } for i, p in enumerate(partners)]).action_post()
        model = self.env["res.partner"].sudo()
        key = str(self.env.company.id)

        def cron_queries(pending):
            """Queries of one cron pass that rates exactly ``pending`` customers."""
            self.env.flush_all()
            self.env.cr.execute("UPDATE res_partner SET credit_rated_on = jsonb_build_object(%s, '2026-06-30')", [key])
            self.env.cr.execute("UPDATE res_partner SET credit_rated_on = NULL WHERE id = ANY(%s)", [pending.ids])
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            model._cron_compute_credit_profiles(batch_size=1000)
            return self.env.cr.sql_log_count - before

        cron_queries(partners[:3])  # warm the registry caches
        self.assertEqual(cron_queries(partners[:10]), cron_queries(partners))
        self.assertTrue(all(partners.mapped("credit_grade")))

    def test_cron_batches_and_resume(self):
        partners = self.env["res.partner"].create([{"name": f"K{i}", "is_company": True} for i in range(5)])
        for partner in partners:
            self._invoice(partner, 100.0, "2026-06-01")
        model = self.env["res.partner"].sudo()
        pending = model._credit_pending_partner_ids(date(2026, 6, 30))
        self.assertTrue(set(partners.ids) <= set(pending))
        total = sum(len(model.with_company(company)._credit_pending_partner_ids(date(2026, 6, 30)))
                    for company in self.env["res.company"].sudo().search([]))
        remaining = model._cron_compute_credit_profiles(batch_size=3)
        self.assertEqual(remaining, total - 3)
        # A crash after the first batch loses nothing: the next calls continue with the rest only.
        # Mark the customers rated by the first batch: the later batches must not rate them again.
        rated_first = partners.filtered("credit_rated_on")
        self.env.cr.execute("UPDATE res_partner SET credit_score = jsonb_build_object(%s, 1) WHERE id = ANY(%s)",
                            [str(self.env.company.id), rated_first.ids])
        self.env.invalidate_all()
        while remaining:
            remaining = model._cron_compute_credit_profiles(batch_size=3)
        self.assertTrue(all(partners.mapped("credit_rated_on")))
        self.assertEqual(model._cron_compute_credit_profiles(batch_size=3), 0)
        self.assertEqual(set(rated_first.mapped("credit_score")), {1} if rated_first else set())
        self.assertTrue(all(score > 1 for score in (partners - rated_first).mapped("credit_score")))

    def test_review_wizard(self):
        self._invoice(self.slow_customer, 3000.0, "2026-06-01")
        self.slow_customer.credit_review_date = "2026-06-01"
        self._rate(self.slow_customer)
        self.slow_customer._credit_schedule_review_activities()
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_review")
        self.assertEqual(len(self.slow_customer.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type)), 1)
        self.slow_customer._credit_schedule_review_activities()  # no duplicate
        self.assertEqual(len(self.slow_customer.activity_ids), 1)

        action = self.slow_customer.action_open_credit_review()
        wizard_form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(wizard_form.suggested_limit, 900.0)
        self.assertEqual(wizard_form.exposure, 3000.0)
        wizard_form.new_tier_id = self.tier_core
        self.assertEqual(str(wizard_form.next_review_date), "2026-09-30")
        wizard_form.new_limit = 2500.0
        wizard_form.note = "Good payer, volume grows"
        wizard = wizard_form.save()

        user = new_test_user(self.env, "cc_user_w", groups="credit_control.group_credit_control_user")
        with self.assertRaises(AccessError):
            wizard.with_user(user).action_confirm()
        wizard.action_confirm()
        review = self.slow_customer.credit_review_ids
        self.assertEqual((review.old_limit, review.new_limit), (0.0, 2500.0))
        self.assertEqual((review.old_tier_id, review.new_tier_id), (self.tier_regular, self.tier_core))
        self.assertEqual(self.slow_customer.credit_limit, 2500.0)
        self.assertEqual(str(self.slow_customer.credit_review_date), "2026-09-30")
        self.assertFalse(self.slow_customer.activity_ids, "the review closes the review activity")

        wizard = self.env["credit.review.wizard"].create({
            "partner_id": self.slow_customer.id, "new_limit": -5.0, "note": "x"})
        with self.assertRaises(ValidationError):
            wizard.action_confirm()
        self.assertEqual(self.slow_customer.credit_limit, 2500.0)

    def test_credit_file(self):
        registry = self.env.ref("credit_control.credit_file_item_type_registry")
        required = self.env["credit.file.item.type"].search([("required", "=", True)])
        self.assertEqual(self.slow_customer.credit_file_state, "missing")
        for item_type in required:
            self.env["credit.file.item"].create({
                "partner_id": self.slow_customer.id, "type_id": item_type.id, "date_checked": "2026-06-01"})
        self.slow_customer.invalidate_recordset()
        self.assertEqual(self.slow_customer.credit_file_state, "complete")
        incomplete = self.env["res.partner"].search([("credit_file_state", "in", ("missing", "expired"))])
        self.assertNotIn(self.slow_customer, incomplete)
        self.assertIn(self.late_payer, incomplete)
        with freeze_time("2026-09-15"):  # the 3-month litigation check expired on 2026-09-01
            self.slow_customer.invalidate_recordset()
            self.assertEqual(self.slow_customer.credit_file_state, "expired")
            self.assertIn("Litigation", self.slow_customer.credit_file_issues)
            expired = self.env["res.partner"].search([("credit_file_state", "=", "expired")])
            self.assertIn(self.slow_customer, expired)
            self.slow_customer._credit_schedule_review_activities()
            self.assertIn("Litigation", self.slow_customer.activity_ids.summary)
        with self.assertRaises(ValidationError):
            self.env["credit.file.item"].create({
                "partner_id": self.slow_customer.id, "type_id": registry.id, "date_checked": "2026-07-30"})
        # A litigation check that never expires keeps the file complete next to expired ones.
        litigation = self.env.ref("credit_control.credit_file_item_type_litigation")
        self.env["credit.file.item"].create({"partner_id": self.slow_customer.id, "type_id": litigation.id,
                                            "date_checked": "2026-06-01", "expiry_date": False})
        ownership = self.env.ref("credit_control.credit_file_item_type_ownership")
        ownership.validity_months = 0  # from now on its checks never expire
        self.env["credit.file.item"].create({"partner_id": self.slow_customer.id, "type_id": ownership.id,
                                            "date_checked": "2026-06-01"})
        with freeze_time("2026-09-15"):
            self.slow_customer.invalidate_recordset()
            self.assertEqual(self.slow_customer.credit_file_state, "complete")
            self.assertIn(self.slow_customer,
                          self.env["res.partner"].search([("credit_file_state", "=", "complete")]))
        other = self.setup_other_company()["company"]
        self.assertEqual(self.slow_customer.with_company(other).credit_file_state, "missing",
                         "credit-file checks belong to one company")

    def test_xlsx_export(self):
        self._invoice(self.slow_customer, 3000.0, "2026-06-01")
        self._rate(self.slow_customer)
        action = (self.slow_customer | self.late_payer).action_export_credit_profiles_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw)).active
        self.assertEqual(sheet["A1"].value, "Customer")
        rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(rows["Slow Customer"][1], "Regular")
        self.assertEqual(rows["Slow Customer"][6], 3000.0)
        self.assertEqual(rows["Slow Customer"][5], 900.0)
