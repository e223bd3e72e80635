"""Browser mode: a real headless Chromium per episode, driven through Selenium.

drivers    starting and quitting Chromium (locally or on a Selenium Grid), the warm pool
sessions   one browser per episode: login by cookie, observation, crash recovery
isolation  what an episode's browser may open (the EHR's clinician pages only)
axtree.js  the accessibility tree with element ids (bids), computed in one script call
axtree_txt the same tree in BrowserGym's flattened text form (the observation's axtree_txt)
"""
