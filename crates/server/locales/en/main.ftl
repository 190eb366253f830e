# jousei — English (second language)
app-name = jousei
app-tagline = Traceability and safety for conditioned-medium and exosome treatments

## Navigation
nav-home = Home
nav-supply = Supply & quality
nav-patients = Patients
nav-schedule = Plans & schedule
nav-chair = Chair-side
nav-safety = Safety
nav-contracts = Contracts & billing
nav-admin = Admin
nav-users = Users
nav-audit = Audit log
nav-account = Account
nav-not-yet = This area arrives in a later release
nav-skip = Skip to content
nav-main = Main menu

## Header
header-user = Signed in as
header-clinic = Clinic
header-language = Language
header-switch-clinic = Switch clinic
header-logout = Sign out
lang-ja = 日本語
lang-en = English
action-switch = Switch

## Login
login-title = Sign in
login-login = Login ID
login-password = Password
login-submit = Sign in
login-failed = The login ID or password is not correct.
login-expired = You were signed out after a period of inactivity. Please sign in again.
login-logged-out = You have signed out.
login-help = On shared terminals, always sign out when you leave. You are signed out automatically after { $minutes } minutes without activity.

## Home
home-title = Home
home-welcome = Hello, { $name }.
home-role = Your role here: { $role }
home-clinic = Clinic: { $clinic }
home-areas = Work areas
home-available = Available
home-coming = Coming
home-area-supply = Products, lots, certificates, release, stock, cold chain
home-area-patients = Registration, questionnaire, eligibility, consent
home-area-schedule = Treatment plans, protocols, appointments
home-area-chair = Point-of-care check and dose records
home-area-safety = Adverse events, lookback, recalls
home-area-contracts = Prices, contracts (SCTA), payments, receipts
home-area-admin = Users and roles, audit log
home-audit-chain = Audit chain: { $count } entries
home-backend = Database: { $backend }

## Roles
role-physician = Physician
role-nurse = Nurse
role-coordinator = Coordinator
role-quality = Quality / pharmacy
role-admin = Owner / admin
role-auditor = Auditor

## Users
users-title = Users
users-login = Login ID
users-name = Name
users-role = Role
users-active = Status
users-active-yes = Active
users-active-no = Inactive
users-add = Add a user
users-display-name = Display name
users-initial-password = Initial password
users-password-rule = At least 13 characters, mixing letters, digits and symbols (MHLW medical-information security guideline 6.0).
users-created = User { $login } was added.
users-deactivate = Deactivate
users-activate = Activate
users-none = No users.
users-unlock = Unlock
users-locked = Locked (too many wrong passwords)

## Account
account-title = Account
account-language = Language preference
account-language-auto = Follow the browser
account-save = Save
account-saved = Saved.
account-password = Change password
account-current-password = Current password
account-new-password = New password
account-password-changed = Your password was changed.
account-tokens = API tokens
account-tokens-help = Tokens let other systems use the API with an `Authorization: Bearer` header. A token is shown once, when it is created.
account-token-name = Purpose (name)
account-token-create = Create token
account-token-created = Your new token. Store it somewhere safe now: it will not be shown again once you leave this page.
account-token-prefix = Identifier
account-token-created-at = Created
account-token-last-used = Last used
account-token-revoked = Revoked
account-token-revoke = Revoke
account-token-never = Never
account-tokens-none = No tokens.

## Audit
audit-title = Audit log
audit-help = Every write and every read of a patient's record is recorded in a hash chain that reveals tampering. Entries cannot be changed or deleted here.
audit-seq = No.
audit-at = Time
audit-actor = Actor
audit-action = Action
audit-entity = Record
audit-changes = Details
audit-hash = Hash
audit-older = Older entries
audit-none = No entries.

## Common
common-required = required
common-back = Back
common-yes = Yes
common-no = No
common-time-zone = Times shown in { $zone }

## Errors (one per code)
err-internal_error = Something went wrong on our side. Please try again shortly.
err-not_found = Not found.
err-unauthenticated = Please sign in.
err-forbidden = You are not allowed to do this.
err-csrf_failed = The form expired or the request did not come from jousei. Reload the page and try again.
err-csrf_origin_mismatch = Requests from another site are not accepted.
err-invalid_request = The request is malformed.
err-login_failed = The login ID or password is not correct.
err-too_many_attempts = Too many attempts with a wrong password: locked for { $minutes } minutes. Try again later, or ask an administrator to unlock the account.
err-login_too_long = The login ID is too long (at most { $max } characters).
err-user_inactive = This user is deactivated. Please contact an administrator.
err-no_clinic = This user is not granted any clinic.
err-session_expired = Your session expired. Please sign in again.
err-login_required = Enter a login ID.
err-login_invalid_length = A login ID has 3 to 64 characters.
err-login_invalid_characters = A login ID may use ASCII letters, digits and . _ - @ only.
err-user_login_taken = This login ID is already taken.
err-clinic_code_required = Enter a clinic code.
err-clinic_code_invalid = A clinic code has 2 to 32 lower-case ASCII letters, digits or hyphens.
err-clinic_code_taken = This clinic code is already taken.
err-clinic_not_found = Clinic not found.
err-clinic_not_granted = You are not granted this clinic.
err-field_required = This field is required.
err-field_too_long = This is too long.
err-field_invalid_characters = This contains characters that are not allowed.
err-role_invalid = Not a valid role.
err-locale_invalid = Not a supported language.
err-password_too_short = A password needs at least 13 characters.
err-password_too_short_with_second_factor = A password needs at least 8 characters.
err-password_needs_mix = A password must mix letters, digits and symbols.
err-password_contains_login = A password must not contain the login ID.
err-password_too_long = A password may have at most 256 characters.
err-password_invalid_characters = The password contains characters that are not allowed.
err-password_incorrect = The current password is not correct.
err-token_invalid = The API token is invalid or revoked.
err-payload_too_large = The request is too large.

## Field names
field-login = Login ID
field-password = Password
field-new_password = New password
field-display_name = Display name
field-role = Role
field-clinic = Clinic
field-name = Name
field-locale = Language

## Error page
error-title = Error
error-request-id = Reference: { $id }
error-status = Status { $status }
err-database_unavailable = The database cannot be reached.
err-limit_out_of_range = The limit must be between 1 and 1000.
field-limit = Limit
account-must-change = Your password was set by an administrator. Change it to your own before you continue.
err-password_change_required = Change your initial password before doing anything else.
err-backup_target_exists = The backup target already exists.
