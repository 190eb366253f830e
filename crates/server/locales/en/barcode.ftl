# jousei — barcodes (GS1, ISBT 128), scan check, vial labels

## Navigation
nav-scan = Scan check
nav-labels = Vial labels

## The scan field (component)
scan-field-label = Barcode
scan-field-hint = Scan. When a label cannot be read, type the code and press Enter (bracketed (01)…(17)…(10)…, GS1 Digital Link and ISBT 128 work too).
scan-read = Read
scan-reading = Reading…
scan-result-ok = Read
scan-result-warnings = Needs checking
scan-result-error = Cannot read
scan-confirm = I have checked the warnings against the printed label
scan-accept = Accept this reading
scan-accepted = Accepted
scan-use-reading = Read it this way
scan-alternative = Another reading: { $reading }
scan-raw = Data received
scan-warnings = Warnings
scan-ais = All AIs
scan-ai = AI
scan-value = Value
scan-kind = Kind
scan-symbology = Symbology
scan-symbology-none = no identifier
scan-format-element_string = GS1 element string
scan-format-bracketed = GS1 bracketed text
scan-format-digital_link = GS1 Digital Link
scan-format-gtin = GTIN only (JAN, EAN, UPC, ITF)
scan-format-isbt128 = ISBT 128
scan-gtin = GTIN
scan-internal-id = Internal product ID
scan-lot = Lot
scan-expiry = Expiry
scan-production-date = Production date
scan-serial = Serial number
scan-quantity = Quantity
scan-din = Donation identification number (DIN)
scan-flags = Flag characters
scan-check-character = Check character
scan-product-code = Product code
scan-none = (none)

## Scan check page
scan-title = Scan check
scan-intro = Check your barcode scanner and see what it reads. Nothing scanned here is saved.
scan-history = Accepted scans (this page only)
scan-history-empty = None yet.
scan-setup = Scanner set-up
scan-setup-help = Scan the test symbol below from the screen. If the lot and the serial number appear separately and there is no warning, the separator (GS) is transmitted correctly. We recommend setting the scanner to send the AIM code ID (symbology identifier) and an Enter suffix. A scanner that cannot send GS (0x1D) should replace it with one of <GS>, {"{"}GS{"}"}, [GS], ^], ^, | or ~.
scan-setup-symbol = Test symbol
scan-setup-expected = Read correctly: { $expected }
scan-diag = How the input arrived
scan-diag-symbology-yes = The symbology identifier { $identifier } was sent (as recommended).
scan-diag-symbology-no = No symbology identifier (]d2 …) was sent. We recommend enabling "AIM code ID" on the scanner.
scan-diag-gs-char = Separators arrived as GS (0x1D).
scan-diag-gs-stand-in = Separators arrived as "{ $stand_in }" and were read as GS.
scan-diag-gs-none = The data held no separator (some symbols need none).
scan-diag-suffix = End of scan: { $suffix }
scan-suffix-enter = Enter key
scan-suffix-tab = Tab key
scan-suffix-button = the Read button
scan-suffix-idle = input stopped, read automatically
scan-diag-speed-scanner = Typing speed: { $ms } ms per character on average (a scanner).
scan-diag-speed-hand = Typing speed: { $ms } ms per character on average (typed by hand).

## Vial labels
labels-title = Vial labels
labels-intro = Labels for vials that arrive without a GS1 barcode: a GS1 DataMatrix with the product name, lot, expiry and serial number in print, on an A4 sheet.
labels-product-kind = Product identification
labels-kind-gtin = The product has a GTIN (JAN code)
labels-kind-internal = No GTIN (use an internal product ID)
labels-gtin = GTIN (8, 12, 13 or 14 digits)
labels-internal-id = Internal product ID
labels-internal-id-hint = Only for products without a GTIN. Up to 90 letters, digits and symbols (encoded in AI (92)).
labels-product-name = Product name (printed)
labels-lot = Lot
labels-expiry = Expiry date
labels-count = Number of labels (vials)
labels-first-serial = First serial number
labels-first-serial-hint = The trailing number counts up (V0001 → V0002, V0003…).
labels-generate = Create labels
labels-print = Print
labels-sheet = Label sheet ({ $count } labels)
labels-sheet-help = Print on A4 at 100% (actual size). Scanning a printed label on the Scan check page shows the same product, lot, expiry and serial number.
labels-api = The API does the same: POST /api/v1/barcode/labels.
labels-printed = Created { $count } labels ({ $first } to { $last }).

## AI names
barcode-ai-00 = SSCC
barcode-ai-01 = GTIN
barcode-ai-02 = GTIN of contained items
barcode-ai-10 = lot
barcode-ai-11 = production date
barcode-ai-13 = packaging date
barcode-ai-15 = best before
barcode-ai-16 = sell by
barcode-ai-17 = expiry
barcode-ai-21 = serial number
barcode-ai-22 = product variant
barcode-ai-30 = count
barcode-ai-37 = count of trade items
barcode-ai-7003 = expiry date and time
barcode-ai-92 = internal product ID

## Where an error is
barcode-where-ai = field { $ai }
barcode-where-structure = data structure { $ai }
barcode-where-position = character { $position }
barcode-where-separator = {", "}
barcode-detail = { $where }: { $message }
barcode-gs-stand-in-in-value = '{ $value }' contains text that scanners send instead of a separator, so it cannot be used on a label.

## Barcode errors (by code)
err-barcode_empty = Nothing was scanned. Scan again or type the code.
err-barcode_input_too_long = The input is too long (at most { $max } characters).
err-barcode_unsupported_symbology = Barcodes with the symbology identifier { $identifier } cannot be read. Scan a GS1 barcode (GS1 DataMatrix, GS1-128, GS1 DataBar…) or ISBT 128.
err-barcode_not_gs1 = The symbol with identifier { $identifier } is not a GS1 symbol and holds no GS1 Digital Link URI or ISBT 128 data.
err-barcode_unknown_ai = '{ $found }' is not a GS1 Application Identifier (AI).
err-barcode_truncated = The data ends too early: { $expected } characters are needed, { $found } are present.
err-barcode_field_too_long = The value '{ $value }' has { $found } characters; at most { $max } are allowed. A separator (GS) may be missing.
err-barcode_field_too_short = The value '{ $value }' has { $found } characters; at least { $min } are needed.
err-barcode_invalid_character = The character '{ $character }' is not allowed here (allowed: { $charset }).
err-barcode_bad_check_digit = The check digit of '{ $value }' is wrong: it is { $found }, it should be { $expected }. The code was misread or mistyped.
err-barcode_invalid_date = '{ $value }' is not a valid date ({ $problem ->
        [month] the month is impossible
        [day] the day is impossible
       *[other] not six digits
    }).
err-barcode_invalid_time = '{ $value }' is not a valid time.
err-barcode_invalid_value = '{ $value }' breaks this field's rule ({ $linter }).
err-barcode_conflicting_ai = The same AI appears twice with different values, '{ $first }' and '{ $second }'.
err-barcode_invalid_ai_pairing = It cannot be combined with AI ({ $other }).
err-barcode_malformed_hri = The bracketed text is malformed. Write it like (01)04912345678904(17)271231(10)LOT123.
err-barcode_dl_invalid_uri = Not a valid GS1 Digital Link URI (the form is https://domain/01/GTIN…).
err-barcode_dl_no_primary_key = The GS1 Digital Link URI has no primary key such as /01/GTIN.
err-barcode_dl_bad_qualifier_order = The qualifiers after ({ $key }) in the Digital Link are not in an allowed order ({ $found }).
err-barcode_dl_invalid_attribute = This AI is not allowed in the Digital Link query (after ?), or it is repeated.
err-barcode_dl_invalid_encoding = The Digital Link URI has an invalid character encoding (%xx).
err-barcode_dl_gtin_not_14_digits = The GTIN in a Digital Link path must have 14 digits (it has { $found }).
err-barcode_invalid_gtin_length = The GTIN has { $found } digits; it needs { $expected }.
err-barcode_isbt_unknown_data_structure = No ISBT 128 data structure starts with '{ $identifier }'.
err-barcode_isbt_bad_check_flags = The DIN flag characters { $found } do not match the DIN's checksum (they should be { $expected }).
err-barcode_isbt_bad_check_character = The keyboard check character { $found } does not match the DIN (it should be { $expected }).
err-barcode_isbt_compound_mismatch = The compound message declares { $declared } data structures but holds { $found }.
err-barcode_today_invalid = Give the reference date (today) as YYYY-MM-DD.

## Scan warnings (by code)
warn-barcode_possible_missing_separator = The value '{ $value }' of field { $ai } may have swallowed the next field because a separator (GS) was lost. Compare with the printed label.
warn-barcode_day_zero_date = The date { $value } in field { $ai } has day 00 and was read as the last day of the month, { $interpreted_as }. Medical labels should carry a real day: compare with the label.
warn-barcode_missing_associated_ai = Field { $ai } usually comes with one of { $requires }. No product code was read.
warn-barcode_duplicate_ai = Field { $ai } with value { $value } appeared twice (counted once).
warn-barcode_fullwidth_normalised = Full-width characters were read as ASCII. Check that Japanese input (IME) is switched off.
warn-barcode_expiry_conflict = The expiry (17) { $expiry_date } and the expiry date and time (7003) { $expiry_datetime } disagree; (7003) is used.

## Label errors (by code)
err-label_invalid_field = { $field }: this value cannot be used on a label.
err-label_expiry_out_of_range = The expiry { $expiry } cannot be written with a two-digit year (from 49 years before to 50 years after { $today }).
err-label_encoding_failed = The DataMatrix could not be made. Shorten the input.
err-label_product_required = Enter a GTIN or an internal product ID.
err-label_product_ambiguous = Enter either a GTIN or an internal product ID, not both.
err-label_name_required = Enter the product name.
err-label_name_too_long = The product name may have at most { $max } characters.
err-label_lot_required = Enter the lot.
err-label_expiry_invalid = Enter the expiry as a date, YYYY-MM-DD.
err-label_count_out_of_range = The number of labels must be 1 to { $max }.
err-label_serials_conflict = Give the serial numbers either as a list (serials) or as a first number and a count (first_serial and count), not both.
err-label_serial_required = Enter a serial number.
err-label_serial_not_numbered = The first serial number '{ $serial }' does not end in a number, so it cannot count up.
err-label_serial_duplicate = The serial number '{ $serial }' appears twice.
err-label_module_out_of_range = The module size must be { $min } to { $max } mm.

## Label field names
label-field-gtin = GTIN
label-field-internal_id = Internal product ID
label-field-product_name = Product name
label-field-lot = Lot
label-field-expiry = Expiry
label-field-serials = Serial number
label-field-first_serial = First serial number
label-field-count = Number of labels
label-field-module_mm = Module size
label-field-today = Reference date
label-field-data = Barcode
