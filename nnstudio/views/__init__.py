"""Views that mirror the document and the training events: loss and metric plots, ..."""
