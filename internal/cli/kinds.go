package cli

// The scenario kinds register themselves with the scenario package.
import (
	_ "fusion/internal/scenario/transactions"
)
