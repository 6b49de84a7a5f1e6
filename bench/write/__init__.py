"""Write-path benchmark: requestAppointment(s) and the decisions behind them."""
