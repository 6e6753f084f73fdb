"""Training from the GUI: the document snapshot a run works on (Qt-free, ``snapshot``) and
the controller that runs ``engine.training.fit`` in a worker thread (``controller``)."""
