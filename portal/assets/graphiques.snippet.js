// Interactive charts (tooltips) as a progressive enhancement: each static SVG image with a
// data-vega-spec attribute is replaced by the same chart drawn by Vega, in French; if
// anything fails, the static image, its text alternative and its table stay as they are.
const formatLocale = FORMAT_LOCALE;
const timeFormatLocale = TIME_FORMAT_LOCALE;

async function enhance(image) {
  try {
    const spec = await (await fetch(image.getAttribute("data-vega-spec"))).json();
    const holder = document.createElement("div");
    holder.className = "chart-interactive";
    holder.setAttribute("role", "img");
    holder.setAttribute("aria-label", image.alt);
    image.after(holder);
    await vegaEmbed(holder, spec, { renderer: "svg", actions: false, tooltip: true, formatLocale, timeFormatLocale });
    image.hidden = true;
  } catch (error) {
    console.warn("graphique interactif indisponible", error);
  }
}

document.querySelectorAll("img[data-vega-spec]").forEach(enhance);
