package store

// Imports write their rows in chunks, each in a short transaction of its
// own, into a batch that stays pending until the import's final
// transaction (see import.go and migration 0014). Every reader of
// protocols, areas, elections and batches sees only what that final
// transaction made visible: the conditions here are how.

// pendingBatches selects the ids of the imports still being written (or
// left behind by a process that died; swept at the next open).
const pendingBatches = `(SELECT id FROM batches WHERE pending <> '')`

// visible is the condition that col, a batch_id column (protocols, areas,
// elections), names no pending import: NULL (a row not written by an
// import) or a batch made visible.
func visible(col string) string {
	return `(` + col + ` IS NULL OR ` + col + ` NOT IN ` + pendingBatches + `)`
}
