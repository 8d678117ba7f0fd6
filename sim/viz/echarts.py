"""`SafeEcharts`: Solara's ECharts widget with its template guarded against an option that
arrives before ECharts has loaded in the browser (the page otherwise logs "Cannot read
properties of undefined (reading 'setOption')" for every chart on a fresh load)."""

from __future__ import annotations

from solara.components.echarts import EchartsWidget


class SafeEcharts(EchartsWidget):
    """The same widget and traits; only the Vue template differs (``echarts.vue`` here)."""

    template_file = (__file__, "echarts.vue")
