"""The studio's page: a Vuetify layout around a vtk.js view, bound to a :class:`Studio`.

Left, the controls made from the profile schema (patient, design, overrides); in the middle,
the shell over the foot's plantar surface, coloured by thickness, with each ordered
modification outlined on its top surface; right, the key numbers, the mechanics (numbers and
a deflection map, which follow the shell), the modifications (numbered in their outlines'
colours), the arch profile and the validation checks. The toolbar opens
scans and profiles from the workspace, saves the profile and exports the shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from trame.ui.vuetify3 import VAppLayout
from trame.widgets import client, html
from trame.widgets import vtk as vtkw
from trame.widgets import vuetify3 as v3

from shellgen.studio._controls import CONTROLS, Control, Section
from shellgen.studio._view import deflection_legend_css

if TYPE_CHECKING:
    from shellgen.studio._app import Studio

__all__ = ["build_ui", "source_name", "state_name"]

_SECTION_TITLES: Final[dict[Section, tuple[str, str]]] = {
    "patient": ("Patient", "mdi-account-outline"),
    "design": ("Design", "mdi-pencil-ruler"),
    "override": ("Overrides", "mdi-pin-outline"),
}
#: Colour of each value source's chip.
_SOURCE_COLOURS: Final = {
    "profile": "indigo",
    "default": "grey",
    "calibrated": "teal",
    "override": "deep-orange",
}
#: The select option standing for "a measured number" in a choice-or-number control.
_NUMBER_OPTION: Final = "__number__"
#: vtk.js colour map of the thickness, and the same as a CSS gradient for the legend.
_COLOUR_MAP: Final = "Viridis (matplotlib)"
_VIRIDIS_CSS: Final = "linear-gradient(to right, #440154, #3b528b, #21918c, #5ec962, #fde725)"

_CSS: Final = """
.studio-control { padding: 6px 2px 2px 2px; }
.studio-control .v-slider.v-input--horizontal { margin-inline: 4px 0; }
.studio-value input { text-align: right; }
.studio-legend { position: absolute; left: 16px; bottom: 16px; width: 220px;
  background: rgba(255,255,255,0.85); border-radius: 6px; padding: 6px 10px; }
.studio-legend .bar { height: 10px; border-radius: 3px; }
.studio-overlay { position: absolute; top: 12px; left: 12px; right: 12px;
  display: flex; gap: 8px; align-items: center; pointer-events: none; }
.studio-overlay > * { pointer-events: auto; }
.studio-side { width: 330px; min-width: 330px; overflow-y: auto; border-left: 1px solid #e0e0e0;
  background: #fafafa; }
.studio-numbers td { padding: 2px 6px; font-size: 13px; }
.studio-numbers td.value { text-align: right; font-variant-numeric: tabular-nums;
  font-weight: 500; }
.studio-numbers td.unit { color: #757575; font-size: 12px; }
.studio-mark { display: inline-block; min-width: 18px; height: 18px; border-radius: 9px;
  color: white; font-size: 11px; font-weight: 700; text-align: center; line-height: 18px; }
.studio-empty { position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; color: #757575; pointer-events: none; }
"""


def state_name(c: Control) -> str:
    """The state variable holding control ``c``'s value, e.g. ``patient__bodyweight_kg``."""
    return f"{c.section}__{c.key}"


def source_name(c: Control) -> str:
    """The state variable holding where control ``c``'s value comes from."""
    return f"src__{c.section}__{c.key}"


def build_ui(studio: Studio) -> None:
    """Lay the page out for ``studio``."""
    server = studio.server
    state = server.state
    state.source_colours = _SOURCE_COLOURS
    state.trame__title = "shellgen studio"
    with VAppLayout(server, full_height=True) as layout:
        client.Style(_CSS)
        # After the meshes of a new scan arrive, look at them (the view must hold them first).
        client.ClientStateChange(
            value="camera",
            change="camera && (trame.refs.view.setCamera(camera), trame.refs.view.resetCamera())",
        )
        _toolbar(studio)
        with v3.VNavigationDrawer(width=390, permanent=True, classes="pa-0"):
            _controls_panel(studio)
        with (
            v3.VMain(style="height: 100vh;"),
            html.Div(style="display: flex; height: 100%; overflow: hidden;"),
        ):
            with html.Div(style="position: relative; flex: 1 1 auto; min-width: 0;"):
                _view()
                _overlays(studio)
            with html.Div(classes="studio-side pa-3"):
                _side_panel()
        _snackbar()
    layout.root.theme = "light"


def _toolbar(studio: Studio) -> None:
    with v3.VAppBar(density="comfortable", elevation=1, color="white"):
        v3.VIcon("mdi-foot-print", color="teal-darken-2", classes="ml-4 mr-2")
        v3.VToolbarTitle("shellgen studio", classes="flex-grow-0 mr-6 text-teal-darken-3")
        v3.VSelect(
            label="Scan",
            items=("scans",),
            model_value=("scan_name",),
            update_modelValue=(studio.open_scan, "[$event]"),
            no_data_text="no scans in the workspace",
            density="compact",
            variant="outlined",
            hide_details=True,
            prepend_inner_icon="mdi-file-outline",
            style="max-width: 360px;",
            classes="mr-3",
            id="scan-select",
        )
        v3.VSelect(
            label="Profile",
            items=("profiles",),
            model_value=("profile_file",),
            update_modelValue=(studio.open_profile, "[$event]"),
            no_data_text="no profiles/*.toml in the workspace",
            density="compact",
            variant="outlined",
            hide_details=True,
            prepend_inner_icon="mdi-tune-variant",
            style="max-width: 220px;",
            classes="mr-1",
            id="profile-select",
        )
        v3.VBtn(
            icon="mdi-refresh",
            variant="text",
            size="small",
            click=studio.refresh_lists,
            title="list the workspace's scans and profiles again",
        )
        v3.VSpacer()
        v3.VTextField(
            label="Save as",
            v_model=("save_name",),
            v_on_keydown_enter=(studio.save, "[save_name]"),
            density="compact",
            variant="outlined",
            hide_details=True,
            style="max-width: 180px;",
            classes="mr-2",
            id="save-name",
        )
        v3.VBtn(
            "Save",
            prepend_icon="mdi-content-save-outline",
            variant="tonal",
            click=(studio.save, "[save_name]"),
            classes="mr-2",
            id="save-button",
        )
        v3.VBtn(
            "Export",
            prepend_icon="mdi-printer-3d-nozzle-outline",
            variant="flat",
            color="teal-darken-2",
            loading=("exporting",),
            disabled=("!shell_shown",),
            click=studio.export,
            classes="mr-3",
            id="export-button",
        )
        v3.VChip(
            "{{ check_status === 'pass' ? 'valid' : check_status === 'fail' ? "
            "'fails ' + check_rows.filter(r => !r.ok).map(r => r.name).join(', ') : "
            "check_status === 'checking' ? 'checking…' : 'no shell' }}",
            color=(
                "check_status === 'pass' ? 'success' : check_status === 'fail' ? 'error' : 'grey'",
            ),
            prepend_icon=(
                "check_status === 'pass' ? 'mdi-check-circle' : check_status === 'fail' ? "
                "'mdi-alert-circle' : 'mdi-timer-sand'",
            ),
            variant="flat",
            classes="mr-4",
            id="check-chip",
        )


def _controls_panel(studio: Studio) -> None:
    with html.Div(classes="px-4 pt-3 pb-1"):
        html.Div("{{ profile_title }}", classes="text-subtitle-1 font-weight-medium")
        html.Div("{{ profile_description }}", classes="text-caption text-medium-emphasis")
    with v3.VExpansionPanels(
        multiple=True, model_value=("['patient', 'design']",), variant="accordion", flat=True
    ):
        for section, (title, icon) in _SECTION_TITLES.items():
            with v3.VExpansionPanel(value=section):
                with v3.VExpansionPanelTitle(classes="py-2"):
                    v3.VIcon(icon, size="small", classes="mr-2")
                    html.Span(title, classes="font-weight-medium")
                with v3.VExpansionPanelText():
                    for c in CONTROLS:
                        if c.section == section:
                            _control(studio, c)


def _control(studio: Studio, c: Control) -> None:
    """One control: label, source chip, the input itself, and a refusal message."""
    var, src = state_name(c), source_name(c)
    with html.Div(classes="studio-control", id=f"control-{c.section}-{c.key}"):
        with html.Div(classes="d-flex align-center"):
            html.Span(c.label, classes="text-body-2")
            with v3.VIcon("mdi-information-outline", size="x-small", classes="ml-1 text-grey"):
                v3.VTooltip(text=f"{c.help} Allowed: {c.allowed}.", activator="parent")
            v3.VSpacer()
            if c.optional:
                v3.VBtn(
                    icon="mdi-pin-off-outline",
                    size="x-small",
                    variant="text",
                    density="comfortable",
                    v_show=f"{src} === 'override'",
                    click=(studio.changed, f"['{c.id}', null]"),
                    title="unpin: let the calibration decide again",
                    classes="unpin",
                )
            v3.VChip(
                f"{{{{ {src} }}}}",
                size="x-small",
                label=True,
                variant="tonal",
                color=(f"source_colours[{src}]",),
                classes="source",
            )
        if c.kind == "choice":
            _select(studio, c, var)
        elif c.kind == "choice_or_number":
            _choice_or_number(studio, c, var)
        elif c.kind == "text":
            _text(studio, c, var)
        else:
            _slider(studio, c, var)
        v3.VAlert(
            text=("refused.text",),
            v_if=f"refused.id === '{c.id}'",
            type="error",
            variant="tonal",
            density="compact",
            classes="mt-1 text-caption refusal",
        )


def _send_now(studio: Studio, args: str) -> str:
    """JS that sends ``studio.changed(*args)`` to the server at once.

    trame's ``trigger()`` awaits its arguments first, which lets Vue re-render the whole page
    (tens of ms on a slow machine) before the message leaves; a slider step should not wait.
    """
    name = studio.server.controller.trigger_name(studio.changed)
    return f"trame.client.getRemote().Trame.trigger('{name}', {args}, {{}})"


def _slider(studio: Studio, c: Control, var: str) -> None:
    typed = (studio.changed, f"['{c.id}', $event.target.value]")
    with v3.VSlider(
        v_model=(var,),
        min=c.minimum,
        max=c.maximum,
        step=c.step,
        update_modelValue=_send_now(studio, f"['{c.id}', $event]"),
        color="teal",
        track_color="grey-lighten-2",
        density="compact",
        hide_details=True,
        thumb_size=14,
        classes="slider",
    ):
        with v3.Template(v_slot_append=True):
            v3.VTextField(
                model_value=(var,),
                key=(f"'{c.id}-' + (refused.id === '{c.id}' ? refused.n : 0)",),
                suffix=c.unit,
                v_on_keydown_enter=typed,
                blur=typed,
                density="compact",
                variant="outlined",
                hide_details=True,
                single_line=True,
                style="width: 112px;",
                classes="studio-value value",
            )


def _select(studio: Studio, c: Control, var: str) -> None:
    v3.VSelect(
        v_model=(var,),
        items=(f"choices__{c.section}__{c.key}", [_item(choice) for choice in c.choices]),
        update_modelValue=(studio.changed, f"['{c.id}', $event]"),
        density="compact",
        variant="outlined",
        hide_details=True,
        classes="mt-1 select",
    )


def _choice_or_number(studio: Studio, c: Control, var: str) -> None:
    measured = {"title": f"measured ({c.unit})", "value": _NUMBER_OPTION}
    items = [_item(choice) for choice in c.choices] + [measured]
    middle = round(((c.minimum or 0.0) + (c.maximum or 0.0)) / 4.0, 1)
    v3.VSelect(
        model_value=(f"typeof {var} === 'number' ? '{_NUMBER_OPTION}' : {var}",),
        items=(f"choices__{c.section}__{c.key}", items),
        update_modelValue=(
            studio.changed,
            f"['{c.id}', $event === '{_NUMBER_OPTION}' ? {middle} : $event]",
        ),
        density="compact",
        variant="outlined",
        hide_details=True,
        classes="mt-1 select",
    )
    with html.Div(v_if=f"typeof {var} === 'number'"):
        _slider(studio, c, var)


def _text(studio: Studio, c: Control, var: str) -> None:
    typed = (studio.changed, f"['{c.id}', $event.target.value]")
    v3.VTextField(
        model_value=(var,),
        key=(f"'{c.id}-' + (refused.id === '{c.id}' ? refused.n : 0)",),
        v_on_keydown_enter=typed,
        blur=typed,
        counter=c.max_length,
        density="compact",
        variant="outlined",
        hide_details="auto",
        classes="mt-1 text",
    )


def _item(choice: str) -> dict[str, str]:
    return {"title": choice.replace("_", " "), "value": choice}


def _view() -> None:
    with vtkw.VtkView(
        ref="view",
        background=("[0.96, 0.97, 0.98]",),
        interactor_settings=(
            "[{button: 1, action: 'Rotate'}, {button: 2, action: 'Pan'}, "
            "{button: 3, action: 'Zoom', scrollEnabled: true}, "
            "{button: 1, action: 'Pan', shift: true}, "
            "{button: 1, action: 'Zoom', control: true}]",
        ),
    ):
        with vtkw.VtkGeometryRepresentation(
            id="shell",
            v_if="shell_shown",
            color_map_preset=_COLOUR_MAP,
            color_data_range=("thickness_range",),
            mapper=("{ scalarVisibility: true, interpolateScalarsBeforeMapping: true }",),
            property=("{ ambient: 0.25, diffuse: 0.75, specular: 0.2, specularPower: 30 }",),
        ):
            with vtkw.VtkPolyData("shell", points=("shell_points",), polys=("shell_polys",)):
                with vtkw.VtkPointData():
                    vtkw.VtkDataArray(
                        registration="setScalars",
                        name="thickness_mm",
                        values=("shell_thickness",),
                    )
        with vtkw.VtkGeometryRepresentation(
            id="plantar",
            v_if="plantar_mesh",
            actor=("{ visibility: show_foot }",),
            mapper=("{ scalarVisibility: false }",),
            property=("{ color: [0.86, 0.66, 0.55], opacity: 0.35, specular: 0.0 }",),
        ):
            vtkw.VtkMesh("plantar_mesh", state=("plantar_mesh",))
        with vtkw.VtkGeometryRepresentation(
            id="scan",
            v_if="scan_mesh",
            actor=("{ visibility: show_scan }",),
            mapper=("{ scalarVisibility: false }",),
            property=("{ color: [0.42, 0.33, 0.30], pointSize: 2, opacity: 0.5 }",),
        ):
            vtkw.VtkMesh("scan_mesh", state=("scan_mesh",))
        with vtkw.VtkGeometryRepresentation(
            id="mark-lines",
            v_if="mark_lines && shell_shown",
            actor=("{ visibility: show_marks }",),
            mapper=("{ scalarVisibility: true, colorMode: 2 }",),
            property=("{ lineWidth: 3, lighting: false }",),
        ):
            vtkw.VtkMesh("mark_lines", state=("mark_lines",))


def _overlays(studio: Studio) -> None:
    with html.Div(classes="studio-overlay"):
        with v3.VCard(density="compact", elevation=1, classes="d-flex align-center px-2"):
            v3.VSwitch(
                v_model=("show_foot",),
                label="foot surface",
                color="brown",
                density="compact",
                hide_details=True,
                classes="mr-3",
                id="toggle-foot",
            )
            v3.VSwitch(
                v_model=("show_scan",),
                label="scan",
                color="brown",
                density="compact",
                hide_details=True,
                classes="mr-3",
                id="toggle-scan",
            )
            v3.VSwitch(
                v_model=("show_marks",),
                label="modifications",
                color="pink-darken-1",
                density="compact",
                hide_details=True,
                disabled=("!marks.length",),
                id="toggle-marks",
            )
        v3.VBtn(
            icon="mdi-crop-free",
            size="small",
            variant="elevated",
            click=studio.fit_camera,
            title="look from the medial side and fit the shell",
        )
        v3.VSpacer()
        v3.VChip(
            "{{ scan_name }}",
            v_if="scan_name",
            variant="elevated",
            color="white",
            prepend_icon="mdi-file-outline",
            size="small",
        )
    v3.VProgressLinear(v_if="busy", indeterminate=True, color="teal", absolute=True, location="top")
    html.Div(
        "{{ busy || 'Open a scan from the workspace (Scan, top left) to start.' }}",
        v_if="!shell_shown || busy",
        classes="studio-empty text-h6",
    )
    with html.Div(classes="studio-legend elevation-1", v_if="shell_shown"):
        _colour_bar("thickness, mm", f"background: {_VIRIDIS_CSS};", "thickness_range")
    html.Div(
        "{{ update_ms ? `updated in ${update_ms} ms` : '' }}",
        v_if="shell_shown",
        classes="text-caption text-medium-emphasis",
        style="position: absolute; right: 14px; bottom: 10px;",
        id="update-ms",
        data_build=("build_id",),
        __properties=[("data_build", "data-build")],
    )


def _side_panel() -> None:
    with html.Div(v_if="!shell_shown", classes="text-body-2 text-medium-emphasis mt-2"):
        html.Div("The shell's numbers, arch profile and checks show here.")
    with html.Div(v_if="shell_shown"):
        _side_content()


def _colour_bar(caption: str, bar_style: str, value_range: str) -> None:
    """A caption, a colour bar styled ``bar_style`` and the state pair ``value_range`` (its
    low and high ends) under it."""
    html.Div(caption, classes="text-caption text-medium-emphasis")
    html.Div(classes="bar", style=bar_style)
    with html.Div(classes="d-flex text-caption"):
        html.Span(f"{{{{ {value_range}[0].toFixed(2) }}}}")
        v3.VSpacer()
        html.Span(f"{{{{ {value_range}[1].toFixed(2) }}}}")


def _numbers_table(rows: str, **attributes: str) -> None:
    """A table of the state list ``rows`` of ``{label, value, unit}``, each value cell
    carrying its label as ``data-label`` (for the browser tests)."""
    with html.Table(classes="studio-numbers", style="width: 100%;", **attributes):
        with html.Tr(v_for=f"n in {rows}", key="n.label"):
            html.Td("{{ n.label }}")
            html.Td(
                "{{ n.value }}",
                classes="value",
                data_label=("n.label",),
                __properties=[("data_label", "data-label")],
            )
            html.Td("{{ n.unit }}", classes="unit")


def _side_content() -> None:
    html.Div("Shell", classes="text-overline")
    _numbers_table("numbers", id="numbers")
    _mechanics()
    html.Div("Modifications", classes="text-overline mt-3")
    html.Div(
        "none ordered",
        v_if="!marks.length",
        classes="text-body-2 text-medium-emphasis",
        id="marks-none",
    )
    with html.Div(id="marks"):
        with html.Div(v_for="m in marks", key="m.number", classes="text-body-2 d-flex mb-1"):
            html.Span(
                "{{ m.number }}",
                classes="studio-mark mr-2",
                style=("{ background: m.colour }",),
            )
            html.Span("{{ m.caption }}")
    html.Div("Arch profile", classes="text-overline mt-3")
    html.Div(v_html=("arch_svg",), id="arch-chart")
    with html.Div(classes="d-flex text-caption text-medium-emphasis", v_if="arch_svg"):
        html.Span("- - measured medial profile", classes="mr-3", style="color: #5d4037;")
        html.Span("▬ supported", style="color: #00897b;")
    html.Div("Validation", classes="text-overline mt-3")
    html.Div("{{ check_summary }}", classes="text-body-2 mb-1", id="check-summary")
    with v3.VList(density="compact", bg_color="transparent", classes="py-0"):
        with v3.VListItem(
            v_for="r in check_rows",
            key="r.name",
            title=("r.name",),
            subtitle=("r.detail",),
            classes="px-1",
            lines="two",
        ):
            with v3.Template(v_slot_prepend=True):
                v3.VIcon(
                    icon=("r.ok ? 'mdi-check-circle' : 'mdi-close-circle'",),
                    color=("r.ok ? 'success' : 'error'",),
                    size="small",
                )
            with v3.Template(v_slot_append=True):
                html.Span("{{ r.value }}", classes="text-caption")


def _mechanics() -> None:
    """The shell's mechanics: numbers and deflection map, greyed while they catch up."""
    with html.Div(classes="d-flex align-center mt-3"):
        html.Div("Mechanics", classes="text-overline")
        v3.VSpacer()
        v3.VChip(
            "{{ mech_status === 'computing' ? 'solving…' : mech_status === 'failed' ? "
            "'failed' : mech_status === 'current' ? 'current' : '' }}",
            v_if="mech_status !== 'none'",
            size="x-small",
            variant="tonal",
            color=(
                "mech_status === 'failed' ? 'error' : mech_status === 'current' ? 'teal' : 'grey'",
            ),
            id="mechanics-status",
        )
    html.Div(
        "{{ `finite elements on a ${mech_spacing_mm} mm mesh (build reports use 3 mm), solved in "
        "a worker process after each change, the latest change first` }}",
        classes="text-caption text-medium-emphasis mb-1",
    )
    html.Div(
        "{{ mech_message }}",
        v_if="mech_status === 'failed'",
        classes="text-body-2 text-error",
        id="mechanics-message",
    )
    with html.Div(
        style=("{ opacity: mech_build_id === build_id ? 1 : 0.45 }",),
        id="mechanics",
        data_build=("mech_build_id",),
        __properties=[("data_build", "data-build")],
    ):
        _numbers_table("mech_numbers")
        html.Div(v_html=("mech_svg",), id="deflection-map", classes="mt-1")
        with html.Div(v_if="mech_svg"):
            _colour_bar(
                "deflection of the top at the activity load, mm (+ arch apex)",
                f"height: 8px; background: {deflection_legend_css()};",
                "mech_range",
            )
    html.Div(
        "{{ mech_update_ms ? `change to mechanics: ${mech_update_ms} ms` : '' }}",
        classes="text-caption text-medium-emphasis",
        id="mechanics-ms",
    )


def _snackbar() -> None:
    with v3.VSnackbar(
        text=("notice.text",),
        model_value=("!!notice.text",),
        update_modelValue="notice = {...notice, text: ''}",
        key=("notice.n",),
        color=(
            "notice.type === 'error' ? 'error' : notice.type === 'success' ? 'success' : 'info'",
        ),
        timeout=("notice.type === 'error' ? -1 : 5000",),
        location="bottom",
        multi_line=True,
        id="notice",
    ):
        with v3.Template(v_slot_actions=True):
            v3.VBtn("close", variant="text", click="notice = {...notice, text: ''}")
