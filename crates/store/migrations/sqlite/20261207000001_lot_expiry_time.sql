-- A lot's expiry may be a date and time (GS1 (7003), ISBT 128 005): the local time
-- (HH:MM) at which it expires on its expiry date; NULL means the end of that day.
ALTER TABLE lots ADD COLUMN expiry_time TEXT CHECK (expiry_time IS NULL OR expiry_time GLOB '[0-2][0-9]:[0-5][0-9]');
