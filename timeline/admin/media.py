"""The scripts and stylesheets of the admin's editor features, declared in one place.

Each ModelAdmin or inline adds the ones its fields need to its `media`; Django merges them
and drops repeats, so a page lists each file once however many inlines ask for it. Every
script is an ES module (<script type="module">), as on the rest of the site."""

from django import forms


def modules(*paths):
    """The static scripts `paths`, each loaded as an ES module."""
    return [forms.Script(path, type="module") for path in paths]


# Previews under markdown fields, slide-shaped for a slide's body (staff-only views render them).
PREVIEW_MEDIA = forms.Media(
    js=modules("js/admin-preview.js"), css={"all": ["css/admin-preview.css"]}
)

# The shared code editor on code fields, with the site's Pygments colours for either scheme.
CODE_EDITOR_MEDIA = forms.Media(
    js=modules("js/code-editor.js", "js/admin-code-editor.js"),
    css={
        "all": ["css/code-editor.css"],
        "(prefers-color-scheme: light), (prefers-color-scheme: no-preference)": [
            "css/pygments-light.css"
        ],
        "(prefers-color-scheme: dark)": ["css/pygments-dark.css"],
    },
)

# Drag and Move up / Move down on inlines whose rows are numbered (formsets.OrderedInlineMixin).
REORDER_MEDIA = forms.Media(
    js=modules("js/admin-reorder.js"), css={"all": ["css/admin-reorder.css"]}
)

# Run and Record on a sample's form, with the diff against its expected output.
SAMPLE_CHECK_MEDIA = forms.Media(
    js=modules("js/admin-sample-check.js"),
    css={"all": ["css/admin-diff.css", "css/admin-sample-check.css"]},
)

# The references inline's narrow columns.
REFERENCES_MEDIA = forms.Media(css={"all": ["css/admin-references.css"]})

# The conflict notice of a change form saved from an older version (concurrency.py).
EDIT_VERSION_MEDIA = forms.Media(css={"all": ["css/admin-edit-conflict.css"]})

# The question before leaving a change form with unsaved edits.
UNSAVED_EDITS_MEDIA = forms.Media(js=modules("js/admin-unsaved.js"))

# Links within text underlined (the era's page and its history, compare and export pages).
LINKS_MEDIA = forms.Media(css={"all": ["css/admin-links.css"]})

# The notice of an era's pending draft, with its Preview, Publish and Discard (drafts.py).
DRAFT_MEDIA = forms.Media(css={"all": ["css/admin-draft.css"]})
