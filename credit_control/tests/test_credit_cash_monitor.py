import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon

TODAY = "2026-06-15"


@tagged("post_install", "-at_install")
class TestCreditCashMonitor(CreditControlCommon):
    """The company cash-flow monitor on a small ledger whose every figure is computed by hand below.

    Ledger of the company (no taxes), today 2026-06-15; "year" = after 2025-06-15, "quarter" = after 2026-03-15:

    Customer invoices (30 days unless said)          Payments
      Alpha  5,000  2025-05-01 (before the year)       5,000 on 2025-05-31 (on time, before the year)
      Alpha 10,000  2026-01-10, due 02-09             10,000 on 2026-03-01: 20 days late
      Alpha  6,000  2026-06-01, due 07-01             open
      Beta   8,000  2026-04-01, due 05-01              3,000 on 2026-05-11: 10 days late; 5,000 open, overdue
      Gamma  4,000  2026-05-20, due 06-19             open
      Delta  3,000  2026-06-10, 60 days, due 08-09    open
      Eps.   2,000  2026-03-01, due 03-31             open, overdue; credit note 500 on 2026-04-15, open
      Phi    1,000  2026-06-12, 120 days, due 10-10   open
    Vendor bills: 7,000 on 2026-05-10 due 06-09 (overdue), 3,000 on 2026-06-05 due 07-05, both open.
    Bank: 50,000 capital on 2025-01-01; rent 2,000 on 03-01, 04-01, 05-01, 06-01 and salaries 4,000 on 03-31,
    04-30, 05-31 (both tagged Fixed Cost), marketing 1,500 on 05-15 (not tagged), all paid from the bank.
    Depreciation 1,200 on 2026-05-31. Customer payments sit on Outstanding Receipts (not cash yet).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.credit_cash_reserve = 40000.0
        cls.KPI = cls.env["credit.cash.kpi"]
        cls.Forecast = cls.env["credit.cash.forecast"]
        cls.fixed_tag = cls.env.ref("credit_control.account_tag_fixed_cost")
        cls.bank = cls.company_data["default_journal_bank"].default_account_id
        cls.rent = cls._account("CC6100", "Rent", "expense", tags=cls.fixed_tag)
        cls.salaries = cls._account("CC6200", "Salaries", "expense", tags=cls.fixed_tag)
        cls.marketing = cls._account("CC6300", "Marketing", "expense")
        cls.purchases = cls._account("CC6400", "Purchases", "expense_direct_cost")
        cls.depreciation = cls._account("CC6500", "Depreciation", "expense_depreciation")
        cls.accumulated = cls._account("CC1500", "Accumulated Depreciation", "asset_non_current")
        cls.capital = cls._account("CC3100", "Capital", "equity")
        cls.supplier = cls._customer("Steel Supplier")
        cls.alpha, cls.beta, cls.gamma, cls.delta, cls.eps, cls.phi = (
            cls._customer(name) for name in ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Phi"))
        with freeze_time(TODAY):
            cls._pay(cls._invoice(cls.alpha, 5000.0, "2025-05-01"), 5000.0, "2025-05-31")
            cls._pay(cls._invoice(cls.alpha, 10000.0, "2026-01-10"), 10000.0, "2026-03-01")
            cls.alpha_open = cls._invoice(cls.alpha, 6000.0, "2026-06-01")
            cls._pay(cls._invoice(cls.beta, 8000.0, "2026-04-01"), 3000.0, "2026-05-11")
            cls._invoice(cls.gamma, 4000.0, "2026-05-20")
            cls._invoice(cls.delta, 3000.0, "2026-06-10", days=60)
            cls._invoice(cls.eps, 2000.0, "2026-03-01")
            cls._credit_note(cls.eps, 500.0, "2026-04-15")
            cls._invoice(cls.phi, 1000.0, "2026-06-12", days=120)
            cls._bill(7000.0, "2026-05-10")
            cls._bill(3000.0, "2026-06-05")
            cls._entry("2025-01-01", [(cls.bank, 50000.0), (cls.capital, -50000.0)])
            for day in ("2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"):
                cls._entry(day, [(cls.rent, 2000.0), (cls.bank, -2000.0)])
            for day in ("2026-03-31", "2026-04-30", "2026-05-31"):
                cls._entry(day, [(cls.salaries, 4000.0), (cls.bank, -4000.0)])
            cls._entry("2026-05-15", [(cls.marketing, 1500.0), (cls.bank, -1500.0)])
            cls._entry("2026-05-31", [(cls.depreciation, 1200.0), (cls.accumulated, -1200.0)])

    @classmethod
    def _account(cls, code, name, account_type, tags=None, company=None):
        return cls.env["account.account"].create({
            "code": code, "name": name, "account_type": account_type,
            "tag_ids": [Command.set(tags.ids)] if tags else [],
            "company_ids": [Command.set((company or cls.env.company).ids)],
        })

    @classmethod
    def _credit_note(cls, partner, amount, day):
        """A credit note due the day it is issued."""
        refund = cls.env["account.move"].create({
            "move_type": "out_refund", "partner_id": partner.id, "invoice_date": day, "date": day,
            "invoice_date_due": day,
            "invoice_line_ids": [Command.create({"name": "Return", "quantity": 1, "price_unit": amount,
                                                 "tax_ids": []})],
        })
        refund.action_post()
        return refund

    @classmethod
    def _bill(cls, amount, day, days=30):
        bill = cls.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": cls.supplier.id, "invoice_date": day, "date": day,
            "invoice_payment_term_id": cls._term(days).id,
            "invoice_line_ids": [Command.create({"name": "Steel", "quantity": 1, "price_unit": amount,
                                                 "account_id": cls.purchases.id, "tax_ids": []})],
        })
        bill.action_post()
        return bill

    @classmethod
    def _entry(cls, day, lines, company=None):
        company = company or cls.env.company
        move = cls.env["account.move"].with_company(company).create({
            "move_type": "entry", "date": day,
            "line_ids": [Command.create({"name": "Cash monitor test", "account_id": account.id, "balance": balance})
                         for account, balance in lines],
        })
        move.action_post()
        return move

    def _refresh(self, day=None, company=None):
        with freeze_time(TODAY):
            return self.KPI.with_company(company or self.company)._credit_refresh(day)

    def _warnings(self, company=None):
        return self.env["credit.warning"].search([
            ("company_id", "=", (company or self.company).id), ("company_signal", "!=", False)])

    # -------------------------------------------------------------------------
    # KPIs, forecast and gap on the small ledger
    # -------------------------------------------------------------------------

    def test_kpis_from_the_books(self):
        kpi = self._refresh()
        self.assertRecordValues(kpi, [{
            "company_id": self.company.id, "period": "2026-06", "date": date(2026, 6, 15),
            "date_from": date(2026, 6, 1), "date_to": date(2026, 6, 30),
            # open items: Alpha 6,000 + Beta 5,000 + Gamma 4,000 + Delta 3,000 + Epsilon 2,000 - 500 + Phi 1,000
            "receivables": 20500.0,
            # the year's invoices 10,000 + 6,000 + 8,000 + 4,000 + 3,000 + 2,000 + 1,000 - credit note 500
            "sales": 33500.0,
            # due before today: Beta 5,000 + Epsilon 2,000 - its credit note 500
            "overdue_amount": 6500.0,
            # Alpha 6,000, Beta 5,000, Gamma 4,000, Delta 3,000, Epsilon 1,500 (Phi's 1,000 is sixth)
            "top5_amount": 19500.0,
            # 50,000 - rent 4 x 2,000 - salaries 3 x 4,000 - marketing 1,500
            "cash_balance": 28500.0,
            # tagged expenses after 2026-03-15: rent 3 x 2,000 + salaries 3 x 4,000 = 18,000 / 3
            "monthly_fixed_costs": 6000.0,
            # income 33,500 - (rent 8,000 + salaries 12,000 + marketing 1,500 + depreciation 1,200 + bills 10,000)
            "net_profit": 800.0,
            "depreciation": 1200.0,
            # receivable lines of the year: receivables now (20,500) - a year ago (0)
            "receivable_increase": 20500.0,
            "payable_increase": 10000.0,
            # 800 + 1,200 - 20,500 + 10,000
            "operating_cash_flow": -8500.0,
        }])
        # DSO = 365 x 20,500 / 33,500 = 223.36 days; target 94 x 80% = 75.2
        self.assertAlmostEqual(kpi.dso, 223.4, places=1)
        self.assertAlmostEqual(kpi.dso_target, 75.2, places=1)
        self.assertEqual(kpi.dso_status, "red")
        # overdue 6,500 / 20,500 = 31.7% > 20%
        self.assertAlmostEqual(kpi.overdue_pct, 31.7, places=1)
        self.assertEqual((kpi.overdue_target, kpi.overdue_status), (20.0, "red"))
        # top 5: 19,500 / 20,500 = 95.1% > 50%
        self.assertAlmostEqual(kpi.top5_pct, 95.1, places=1)
        self.assertEqual((kpi.top5_target, kpi.top5_status), (50.0, "red"))
        # cash reserve: 28,500 / 6,000 = 4.75 months >= 3
        self.assertAlmostEqual(kpi.reserve_months, 4.75, places=2)
        self.assertEqual((kpi.reserve_target, kpi.reserve_status), (3.0, "green"))
        # OCF / net profit: -8,500 / 800 = -10.625 < 1.2
        self.assertAlmostEqual(kpi.ocf_ratio, -10.625, delta=0.006)
        self.assertEqual((kpi.ocf_target, kpi.ocf_status), (1.2, "red"))
        self.assertEqual(kpi.red_count, 4)

    def test_forecast_and_cash_gap(self):
        kpi = self._refresh()
        weeks = self.Forecast.search([("company_id", "=", self.company.id)])
        self.assertEqual(weeks.kpi_id, kpi)
        # Week 1 (06-15..06-21): overdue Beta 5,000 + Epsilon 2,000 - 500, Gamma 4,000 due 06-19; overdue bill 7,000.
        # Week 3 (06-29..07-05): the bill due 07-05.
        # Week 6 (07-20..07-26): Alpha's 6,000 due 07-01, shifted by Alpha's 20 days' delay to 07-21.
        # Week 8 (08-03..08-09): Delta 3,000 due 08-09 (no history: no shift). Phi, due 10-10, is beyond week 13.
        receipts = {1: 10500.0, 6: 6000.0, 8: 3000.0}
        payments = {1: 7000.0, 3: 3000.0}
        closing, expected = 28500.0, []
        for week in range(1, 14):
            opening = closing
            closing = opening + receipts.get(week, 0.0) - payments.get(week, 0.0)
            expected.append({"week": week, "opening": opening, "receipts": receipts.get(week, 0.0),
                             "payments": payments.get(week, 0.0), "closing": closing, "reserve": 40000.0,
                             "shortfall": max(40000.0 - closing, 0.0)})
        self.assertRecordValues(weeks, expected)
        self.assertEqual([c["closing"] for c in expected],
                         [32000.0, 32000.0, 29000.0, 29000.0, 29000.0, 35000.0, 35000.0] + [38000.0] * 6)
        self.assertEqual((weeks[0].date_from, weeks[0].date_to), (date(2026, 6, 15), date(2026, 6, 21)))
        self.assertEqual((weeks[-1].date_from, weeks[-1].date_to), (date(2026, 9, 7), date(2026, 9, 13)))
        # gap = reserve 40,000 - lowest closing 29,000 = 11,000, 27.5% of the reserve: the 20% tier
        self.assertRecordValues(kpi, [{"cash_reserve": 40000.0, "lowest_closing": 29000.0, "gap_amount": 11000.0,
                                       "gap_pct": 27.5, "gap_status": "red"}])
        self.assertEqual(kpi.contingency_id.gap_pct, 20.0)
        self.assertEqual(kpi.recommended_action, "Negotiate longer payment terms with suppliers")

        self.company.credit_cash_reserve = 60000.0  # gap 31,000 = 51.7%: the 50% tier
        kpi = self._refresh()
        self.assertAlmostEqual(kpi.gap_pct, 51.67, places=1)
        self.assertEqual(kpi.recommended_action, "Arrange short-term financing")

        self.company.credit_cash_reserve = 0.0  # no reserve, never below 0: no gap
        kpi = self._refresh()
        self.assertRecordValues(kpi, [{"gap_amount": 0.0, "gap_pct": 0.0, "gap_status": "green",
                                       "contingency_id": False}])

    def test_receipts_shifted_by_customer_delay(self):
        self._refresh()
        week6 = self.Forecast.search([("company_id", "=", self.company.id), ("week", "=", 6)])
        self.assertEqual(week6.receipts, 6000.0, "Alpha pays 20 days late: due 07-01, expected 07-21")
        # Alpha now pays a new invoice 40 days late: (10,000 x 20 + 5,000 x 40) / 15,000 = 26.7, 27 days
        with freeze_time(TODAY):
            self._pay(self._invoice(self.alpha, 5000.0, "2026-04-01", days=10), 5000.0, "2026-05-21")
        self._refresh()
        weeks = self.Forecast.search([("company_id", "=", self.company.id)])
        # 07-01 + 27 days = 07-28: week 7 (07-27..08-02)
        self.assertEqual(weeks.filtered(lambda w: w.week == 6).receipts, 0.0)
        self.assertEqual(weeks.filtered(lambda w: w.week == 7).receipts, 6000.0)

    def test_past_months_from_the_books(self):
        # 2026-02-15: Alpha's 10,000 (due 02-09) was still open although it is reconciled today.
        kpi = self._refresh("2026-02-15")
        self.assertRecordValues(kpi, [{
            "period": "2026-02", "receivables": 10000.0, "overdue_amount": 10000.0, "sales": 15000.0,
            "cash_balance": 50000.0, "monthly_fixed_costs": 0.0, "reserve_status": "na",
            # income 5,000 + 10,000; receivables of the year 5,000 - 5,000 + 10,000: OCF 5,000
            "net_profit": 15000.0, "operating_cash_flow": 5000.0,
        }])
        self.assertAlmostEqual(kpi.dso, 243.3, places=1)  # 365 x 10,000 / 15,000
        self.assertEqual((kpi.overdue_pct, kpi.top5_pct), (100.0, 100.0))
        self.assertAlmostEqual(kpi.ocf_ratio, 0.33, places=2)
        # 2026-05-05: Beta's payment of 05-11 is not counted yet: 8,000 open and overdue
        may = self._refresh("2026-05-05")
        self.assertRecordValues(may, [{"receivables": 9500.0, "overdue_amount": 9500.0, "overdue_pct": 100.0}])
        self.assertEqual(set(self.Forecast.search([("company_id", "=", self.company.id)]).mapped("as_of")),
                         {date(2026, 5, 5)})
        self.assertFalse(self._warnings(), "past months raise no warning")
        # Today's forecast replaces it, a past month's does not replace today's
        self._refresh()
        self._refresh("2026-05-31")
        forecast = self.Forecast.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(forecast), 13)
        self.assertEqual(set(forecast.mapped("as_of")), {date(2026, 6, 15)})
        self.assertEqual(self.KPI.search_count([("company_id", "=", self.company.id)]), 3)

    def test_refresh_idempotent(self):
        first = self._refresh()
        activities = first.activity_ids
        second = self._refresh()
        self.assertEqual(first, second)
        self.assertEqual(self._refresh("2026-07-20"), first, "a day to come is read as today")
        self.assertEqual(first.date, date(2026, 6, 15))
        self.assertEqual(self.KPI.search_count([("company_id", "=", self.company.id)]), 1)
        self.assertEqual(self.Forecast.search_count([("company_id", "=", self.company.id)]), 13)
        self.assertEqual(second.activity_ids, activities, "one alert per month")
        self.assertEqual(len(self._warnings()), 5, "4 red KPIs and the cash gap, once each")

    def test_queries_do_not_grow_with_customers(self):
        def add_customers(count):
            with freeze_time(TODAY):
                for index in range(count):
                    customer = self._customer(f"Extra customer {count}-{index}")
                    self._pay(self._invoice(customer, 100.0 + index, "2026-04-01"), 50.0, "2026-05-20")

        def count_queries():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._refresh()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        self._refresh()  # creates the record and schedules the alert
        add_customers(1)
        count_queries()  # warms the caches of access rules and such
        add_customers(1)
        baseline = count_queries()
        add_customers(10)
        self.assertEqual(count_queries(), baseline, "the same queries for 7 or 17 customers")

    # -------------------------------------------------------------------------
    # Alerts and company warnings
    # -------------------------------------------------------------------------

    def test_red_kpis_raise_alert_and_warnings(self):
        kpi = self._refresh()
        self.assertEqual(kpi.alert_date, date(2026, 6, 15))
        activity = kpi.activity_ids.filtered(lambda a: a.user_id == self.env.user)
        self.assertEqual(activity.activity_type_id, self.env.ref("credit_control.mail_activity_type_credit_cash_alert"))
        self.assertEqual(activity.summary, "4 cash-flow indicators are red: start the contingency plan")
        warnings = self._warnings()
        self.assertEqual(sorted(warnings.mapped("company_signal")),
                         ["cash_gap", "concentration", "dso", "ocf_ratio", "overdue"])
        self.assertEqual(set(warnings.mapped("severity")), {"red"})
        gap = warnings.filtered(lambda w: w.company_signal == "cash_gap")
        self.assertEqual((gap.value, gap.threshold), (27.5, 20.0))
        self.assertEqual(gap.note, "Negotiate longer payment terms with suppliers")
        dso = warnings.filtered(lambda w: w.company_signal == "dso")
        self.assertEqual(dso.note, "DSO of 223.4 days, target at most 75.2 days.")

    def test_kpi_turns_red_then_resolves(self):
        self.company.credit_reserve_months_target = 5.0  # 4.75 months of fixed costs is not enough
        kpi = self._refresh()
        self.assertEqual(kpi.reserve_status, "red")
        self.assertEqual(kpi.red_count, 5)
        reserve = self._warnings().filtered(lambda w: w.company_signal == "reserve")
        self.assertEqual((reserve.state, reserve.value, reserve.threshold), ("new", 4.75, 5.0))

        self.company.credit_reserve_months_target = 3.0
        kpi = self._refresh()
        self.assertEqual(kpi.reserve_status, "green")
        self.assertEqual(reserve.state, "resolved")
        self.assertFalse(self._warnings().filtered(lambda w: w.company_signal == "reserve" and w.state != "resolved"))

    def test_no_alert_below_the_red_limit(self):
        self.company.write({"credit_dso_reference": 400.0, "credit_overdue_target": 40.0,
                            "credit_concentration_target": 100.0, "credit_cash_reserve": 0.0})
        kpi = self._refresh()
        self.assertEqual(kpi.red_count, 1, "only the OCF ratio is red")
        self.assertFalse(kpi.alert_date)
        self.assertFalse(kpi.activity_ids)
        self.assertEqual(self._warnings().mapped("company_signal"), ["ocf_ratio"])

    # -------------------------------------------------------------------------
    # Defaults, multi-company, rights
    # -------------------------------------------------------------------------

    def test_company_defaults(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        for company in (self.company, company_b):
            tiers = self.env["credit.cash.contingency"].search([("company_id", "=", company.id)])
            self.assertEqual(tiers.mapped("gap_pct"), [20.0, 50.0])
            self.assertEqual(tiers.mapped("recommended_action"),
                             ["Negotiate longer payment terms with suppliers", "Arrange short-term financing"])
        self.assertEqual(company_b.credit_fixed_cost_tag_id, self.fixed_tag)
        self.assertRecordValues(company_b, [{
            "credit_dso_reference": 94.0, "credit_dso_target_pct": 80.0, "credit_overdue_target": 20.0,
            "credit_concentration_target": 50.0, "credit_reserve_months_target": 3.0, "credit_ocf_ratio_target": 1.2,
        }])
        company_b._credit_create_defaults()
        self.assertEqual(self.env["credit.cash.contingency"].search_count([("company_id", "=", company_b.id)]), 2,
                         "defaults are created once")

    def test_multi_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        customer = self._customer("Company B customer")
        with freeze_time(TODAY):
            self._invoice(customer, 1000.0, "2026-06-01", company=company_b)
        kpi_b = self._refresh(company=company_b)
        kpi_a = self._refresh()
        self.assertRecordValues(kpi_b, [{"company_id": company_b.id, "receivables": 1000.0, "sales": 1000.0,
                                         "dso": 365.0, "cash_balance": 0.0, "top5_pct": 100.0}])
        self.assertEqual(kpi_a.receivables, 20500.0, "company B's ledger does not leak into A's")
        weeks_b = self.Forecast.search([("company_id", "=", company_b.id)])
        self.assertEqual(weeks_b.kpi_id, kpi_b)
        self.assertEqual(sum(weeks_b.mapped("receipts")), 1000.0)
        self.assertEqual(self.Forecast.search_count([("company_id", "=", self.company.id)]), 13)

    def test_access_rights(self):
        kpi = self._refresh()
        tier = self.env["credit.cash.contingency"].search([("company_id", "=", self.company.id)], limit=1)
        user = new_test_user(self.env, "cash_user", groups="credit_control.group_credit_control_user",
                             company_id=self.company.id)
        self.assertEqual(kpi.with_user(user).dso_status, "red")
        self.assertEqual(len(self.Forecast.with_user(user).search([])), 13)
        self.assertEqual(tier.with_user(user).gap_pct, 20.0)
        with self.assertRaises(AccessError):
            tier.with_user(user).gap_pct = 30.0
        with self.assertRaises(AccessError):
            self.env["credit.cash.contingency"].with_user(user).create(
                {"gap_pct": 80.0, "recommended_action": "Sell assets"})
        with self.assertRaises(AccessError), freeze_time(TODAY):
            kpi.with_user(user).action_refresh()
        with self.assertRaises(AccessError), freeze_time(TODAY):
            self.KPI.with_user(user)._credit_refresh()

        company_b = self.setup_other_company(name="Company B")["company"]
        outsider = new_test_user(self.env, "cash_outsider", groups="credit_control.group_credit_control_manager",
                                 company_id=company_b.id, company_ids=[Command.set(company_b.ids)])
        self.assertFalse(self.KPI.with_user(outsider).search([]))
        self.assertFalse(self.Forecast.with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            kpi.with_user(outsider).read(["dso"])

        manager = new_test_user(self.env, "cash_manager", groups="credit_control.group_credit_control_manager",
                                company_id=self.company.id)
        self.company.credit_overdue_target = 40.0
        with freeze_time(TODAY):
            kpi.with_user(manager).action_refresh()
        self.assertEqual(kpi.overdue_status, "green")

    # -------------------------------------------------------------------------
    # Bad input
    # -------------------------------------------------------------------------

    def test_bad_settings(self):
        bad = [
            ({"credit_dso_reference": 0.0}, "reference DSO must be a positive"),
            ({"credit_dso_target_pct": 120.0}, "DSO target must be a percentage"),
            ({"credit_dso_target_pct": 0.0}, "DSO target must be a percentage"),
            ({"credit_overdue_target": 150.0}, "overdue share target must be a percentage between 0 and 100"),
            ({"credit_overdue_target": -1.0}, "overdue share target must be a percentage between 0 and 100"),
            ({"credit_concentration_target": 101.0}, "top-5 concentration target must be a percentage"),
            ({"credit_reserve_months_target": -3.0}, "cannot be negative"),
            ({"credit_ocf_ratio_target": -1.2}, "cannot be negative"),
            ({"credit_cash_reserve": -100.0}, "minimum cash reserve cannot be negative"),
        ]
        for values, message in bad:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.env.cr.savepoint():
                self.company.write(values)
            self.company.invalidate_recordset()
        with self.assertRaisesRegex(ValidationError, "between 0 and 100"):
            self.env["res.config.settings"].create({"credit_overdue_target": 120.0}).execute()

    def test_bad_contingency_tier(self):
        tiers = self.env["credit.cash.contingency"]
        for pct in (0.0, -20.0, 120.0):
            with self.subTest(pct=pct), self.assertRaisesRegex(ValidationError, "above 0 and at most 100"):
                tiers.create({"gap_pct": pct, "recommended_action": "Sell assets"})
        tier = tiers.create({"gap_pct": 100.0, "recommended_action": "Sell assets"})
        self.assertEqual(tier.display_name, "100%: Sell assets")

    # -------------------------------------------------------------------------
    # XLSX
    # -------------------------------------------------------------------------

    def test_export_xlsx(self):
        self._refresh("2026-05-31")
        self._refresh()
        action = self.KPI.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        workbook = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        self.assertEqual(workbook.sheetnames, ["KPIs", "Forecast"])
        kpis = workbook["KPIs"]
        self.assertEqual([kpis.cell(1, col).value for col in (1, 4, 5, 6)],
                         ["Period", "DSO (days)", "DSO Target", "DSO Status"])
        self.assertEqual([kpis.cell(row, 1).value for row in (2, 3)], ["2026-05", "2026-06"])
        self.assertEqual(kpis.max_row, 3)
        june = [kpis.cell(3, col).value for col in range(1, 23)]
        self.assertEqual(june[3:6], [223.4, 75.2, "Off Target"])
        self.assertAlmostEqual(june[6], 0.317)
        self.assertEqual(june[7:9], [0.2, "Off Target"])
        self.assertEqual(june[12:15], [4.75, 3.0, "On Target"])
        self.assertEqual(june[18], 11000.0)
        self.assertAlmostEqual(june[19], 0.275)
        self.assertEqual(june[20:22], ["Negotiate longer payment terms with suppliers", 4])
        forecast = workbook["Forecast"]
        self.assertEqual(forecast.max_row, 14)
        self.assertEqual([forecast.cell(2, col).value for col in (1, 5, 6, 7, 8, 9, 10)],
                         [1, 28500.0, 10500.0, 7000.0, 32000.0, 40000.0, 8000.0])
        self.assertEqual(forecast.cell(14, 8).value, 38000.0)
