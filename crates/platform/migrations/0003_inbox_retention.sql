-- Each consumer forgets the ids it applied longer ago than its retention
-- (`ConsumerSpec::inbox_retention`); this finds them without reading the whole inbox.
CREATE INDEX inbox_received ON inbox (consumer, received_at);
