# Point-of-care check (before a dose): findings, and why a dose cannot be recorded
# Parameters: route and plan_route are passed as the route's label (route-<code>), finding as
# the screening finding's label (pui-finding-<code>). Dates are the clinic's local dates (YYYY-MM-DD).

## Severities
care-severity-block = Cannot be used
care-severity-override = Physician's decision needed
care-severity-warning = Note

## Blocking findings (nobody can override them)
care-clinic_time_zone_invalid = The clinic's time zone ({ $time_zone }) is not valid. No dose can be given until an administrator corrects the settings.
care-no_vial_scanned = No vial has been scanned. Scan the vials to be given.
care-patient_identity_unconfirmed = The patient's identity is not confirmed. Check the full name and date of birth, or scan the patient's card.
care-patient_identity_mismatch = The identity check does not match (name and date of birth, or the patient's card). This may be another patient. Do not give the dose.
care-consent_missing = There is no signed consent for { $route }. The dose cannot be given.
care-consent_withdrawn = The consent for { $route } has been withdrawn. The dose cannot be given.
care-consent_same_day_unjustified = Today is the day of the first explanation ({ $explained_on }). No physician's reason for the medical necessity of same-day treatment is recorded on the consent. The dose cannot be given.
care-appointment_other_patient = This appointment belongs to another patient. Check the patient and the appointment.
care-lot_not_released = Lot { $lot } has not been released (quarantined). It cannot be used.
care-lot_on_hold = Lot { $lot } is on hold. It cannot be used.
care-lot_recalled = Lot { $lot } has been recalled. It cannot be used.
care-lot_rejected = Lot { $lot } was rejected (to be destroyed). It cannot be used.
care-lot_expired = This lot ({ $lot }) is past its expiry date ({ $expiry }). It cannot be used.
care-lot_temperature_excursion = Lot { $lot } has unacknowledged temperature excursions ({ $count }). It cannot be used until quality has reviewed them.
care-out_of_stock = Not enough stock of lot { $lot } (on hand here: { $on_hand }, scanned: { $needed }). Check the stock.
care-vial_already_used = Vial { $position } (lot { $lot }) has already been used. It cannot be used.
care-vial_open_too_long = Vial { $position } (lot { $lot }) was opened or thawed { $minutes_open } minutes ago (at { $opened_at }; in-use time { $in_use_minutes } minutes). It cannot be used.
care-vial_scanned_twice = Vial { $position } (lot { $lot }) is the same vial as one already scanned.

## Findings a physician may override with a written reason
care-screening_missing = There is no screening (questionnaire and eligibility decision). A physician's decision is needed.
care-screening_undecided = The screening is waiting for the physician's decision. A physician's decision is needed.
care-screening_stale = The questionnaire answers changed after the screening. A physician's decision is needed.
care-screening_expired = The eligibility decision expired ({ $until }). A physician's decision is needed.
care-screening_not_eligible = The physician decided "not eligible". Giving the dose needs a physician's decision with a written reason.
care-contraindication_flagged = The questionnaire flagged a possible contraindication ({ $finding }). A physician's decision is needed.
care-plan_missing = There is no treatment plan. A physician's decision is needed.
care-plan_not_approved = The treatment plan has not been approved by a physician. A physician's decision is needed.
care-route_not_in_plan = The route ({ $route }) differs from the plan's route ({ $plan_route }). A physician's decision is needed.
care-product_not_in_plan = Product { $product } is not in the treatment plan. A physician's decision is needed.
care-route_not_labelled = The labelled routes of product { $product } do not include { $route }. A physician's decision is needed.
care-interval_too_short = It has been { $days_since } days since the last dose ({ $last_date }); the plan's shortest interval is { $min_days } days. A physician's decision is needed.

## Warnings (they do not stop the dose)
care-lot_expires_soon = Lot { $lot } expires on { $expiry } ({ $days_left } days left).
care-same_day_first_treatment = Treatment on the day of the first explanation ({ $explained_on }). Check the physician's recorded reason for same-day treatment.
care-screening_with_conditions = Eligible with conditions: { $conditions }
care-plan_component_missing = Product { $product } of the treatment plan has not been scanned.
care-blend_share_mismatch = The share of product { $product } differs from the plan (plan { $planned_percent }%, now { $actual_percent }%).
care-appointment_missing = This patient has no appointment.
care-appointment_other_day = The appointment is on { $date }, not today.
care-appointment_closed = This appointment is done, cancelled or a no-show. Check the appointment.
care-blood_donation_notice = This is the patient's first human-derived product. Give the clinic's blood-donation notice and record it (the patient should declare it at the interview when donating blood).

## Why a dose cannot be recorded
err-check_blocked = The dose cannot be recorded: { $message }
err-override_required = A physician must decide this and write a reason: { $message }
err-override_not_allowed = This finding cannot be overridden, not even by a physician.
err-override_not_applicable = This finding is no longer there. Reload and check again.
err-override_reason_required = Write the reason for the physician's decision.
err-override_reason_too_long = The reason may have at most 2000 characters.
err-override_reason_invalid = The reason contains characters that are not allowed.
err-override_duplicate = There are two physician's decisions for the same finding.
