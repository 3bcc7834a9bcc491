"""Forms: request data in, a typed input plus field errors out.

One module per area (``capx/forms/<area>.py``) holds that area's WTForms classes or parse
functions. They receive the submitted data (a ``Mapping``/``MultiDict`` the blueprint hands in,
never the ``request`` object), check it, and return a typed input (a dataclass) and a
:class:`capx.forms.errors.FormErrors`: the one error type of the application, rendered by
``macros/forms.html``. Nothing the user typed is lost: the input keeps it for the re-rendered form.
"""
