"""Bill payment status from the ERP back into SmartAP: the payment sync run and its store."""
