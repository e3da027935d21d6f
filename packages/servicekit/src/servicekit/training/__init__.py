"""Training-side code; needs the `train` extra (pandas, MLflow, matplotlib, rich)."""
