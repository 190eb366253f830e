# Cold chain (data loggers)
err-comment_required = Enter a comment.
field-comment = Comment
err-logger_empty = The file holds no temperature readings.
err-logger_too_large = The file is too large (line { $line }). Import shorter periods.
err-logger_no_header = No header row with time and temperature columns was found (checked up to line { $line }).
err-logger_ambiguous_column = There are several temperature columns (line { $line }, column {$column}). Export one probe's column only.
err-logger_fahrenheit = The temperatures are in °F (line { $line }, column { $column }). Export in °C.
err-logger_bad_row = Line { $line } does not have the header's columns (column { $column }).
err-logger_bad_timestamp = The date or time on line { $line }, column { $column } cannot be read.
err-logger_bad_temperature = The temperature on line { $line }, column { $column } cannot be read.
err-logger_temperature_out_of_range = The temperature on line { $line }, column { $column } is outside -200 to 100 °C.
err-logger_decimal_comma = Line { $line }, column { $column } uses a decimal comma. Export with a decimal point, or with ; or tab as the separator.
err-logger_duplicate_time = Line { $line } repeats the time of an earlier line.
err-logger_out_of_order = Line { $line } is earlier than the line before it (sort by time).
err-logger_no_readings = No readings after the header (line { $line }).
