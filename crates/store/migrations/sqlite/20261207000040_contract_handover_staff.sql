-- Who handed a contract document over to the patient (issue 16, error 3): a
-- member of the clinic's staff, set once with the rest of the handover
-- (handed_over_recorded_by is who recorded it). NULL for handovers recorded
-- before this column existed.
ALTER TABLE contract_documents ADD COLUMN handed_over_staff_id BLOB;
