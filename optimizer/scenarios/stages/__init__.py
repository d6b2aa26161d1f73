"""One adapter per model: build the model's input from the run, solve, validate, return plan tables + KPIs."""
