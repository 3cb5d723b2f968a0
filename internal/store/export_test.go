package store

import (
	"context"
	"fmt"
)

// OpenAtVersion opens addr with the migrations applied only up to version
// (the schema an earlier vigil left), for the upgrade tests.
func OpenAtVersion(ctx context.Context, addr string, version int) (*DB, error) {
	db, err := openRaw(addr, PoolOptions{})
	if err != nil {
		return nil, err
	}
	if err := db.migrateTo(ctx, version); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", db.Addr, err)
	}
	return db, nil
}

// MigrationVersions lists the versions of the embedded migrations.
func MigrationVersions() []int {
	ms, _ := loadMigrations(SQLite)
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs
}
