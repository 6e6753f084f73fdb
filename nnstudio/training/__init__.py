"""Training from the GUI: the document snapshot a run works on (Qt-free, ``snapshot``), the
run itself in a process of its own (Qt-free, ``worker``) and the controller that starts it and
forwards what it sends to the views (``controller``)."""
