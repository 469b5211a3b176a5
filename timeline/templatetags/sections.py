"""{% section %}: a page section with its heading, so every part of a page is labelled alike.

    {% section "references" "Sources" %}…{% endsection %}

renders <section class="references" aria-labelledby="references-title"> with an <h2
id="references-title">, the body, and the closing tag. A third argument names the heading's id
when it differs from the class (`{% section "era-exercises" "Practise" "exercises" %}`).
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


class SectionNode(template.Node):
    def __init__(self, arguments, nodelist):
        self.arguments, self.nodelist = arguments, nodelist

    def render(self, context):
        name, title, *label = (argument.resolve(context) for argument in self.arguments)
        label = label[0] if label else name
        body = mark_safe(self.nodelist.render(context))  # noqa: S308 - rendered by the template
        return format_html(
            '<section class="{}" aria-labelledby="{}-title">\n'
            '    <h2 id="{}-title">{}</h2>\n{}  </section>',
            name,
            label,
            label,
            title,
            body,
        )


@register.tag
def section(parser, token):
    bits = token.split_contents()[1:]
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError("{% section class title [heading-id] %}")
    nodelist = parser.parse(("endsection",))
    parser.delete_first_token()
    return SectionNode([parser.compile_filter(bit) for bit in bits], nodelist)
