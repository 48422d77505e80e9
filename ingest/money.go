package ingest

// Cents is the amount in cents; the store writes it as DECIMAL(18,2).
func (m Money) Cents() int64 { return int64(m) }
