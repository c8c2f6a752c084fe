-- Sales reps' contact details are shown to partners (LE2).
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
