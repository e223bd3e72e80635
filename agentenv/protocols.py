"""What protocols above agentenv add to a reset's answer (a registry: agentenv never imports them).

RESET_LINKS maps a name to a function of (request, episode) giving a URL; the REST reset puts each in its
`info`, e.g. `fhir_base_url`, filled by fhirapi/apps.py, so a FHIR agent is told where its episode's chart is.
"""

from collections.abc import Callable

RESET_LINKS: dict[str, Callable] = {}


def reset_links(request, episode) -> dict[str, str]:
    return {name: link(request, episode) for name, link in RESET_LINKS.items()}
